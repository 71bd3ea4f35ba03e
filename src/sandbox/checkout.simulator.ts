import { Body, Controller, Get, Headers, Post, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { formatAmount, parseAmount } from '../common/money';
import { AppConfig } from '../config/config';
import { SandboxBackOffice } from './back-office';
import { SandboxFaults } from './faults';
import { SandboxPayment, SandboxPaymentsRepository } from './sandbox-payments.repository';
import { errorPage, gatewayPage } from './page';
import { CheckoutSession, SandboxCheckoutSessionsRepository } from './sandbox-checkout-sessions.repository';
import { SandboxReactions } from './simulators';

/**
 * The hosted-checkout gateway of seed 003, from its side of the wire (written from the document
 * alone; it does not import the provider module):
 * - POST /api/v1/checkout with `Authorization: Bearer {api_key}` checks the key against the
 *   merchants' registrations and `client_base_url` against the registered Base URL (else the
 *   documented `{"status":"error","message":"Domain mismatch. …"}`), keeps the session and
 *   answers `{"status":"success","payment_url":"…/checkout?trx_id=…"}`;
 * - the payment page has Pay and Cancel: Pay sends the browser to success_url with
 *   `?transaction_id=…`, Cancel to cancel_url. Once paid (also through /sandbox/control/pay),
 *   opening payment_url again redirects to success_url the same way.
 * Sessions live in the database: the gateway knows a payment before the orchestrator has
 * written its own transaction row, and every app instance must see it.
 */
export const DOMAIN_MISMATCH = 'Domain mismatch. দুঃখিত, সংযোগ স্থাপন করা যায়নি।';

const withParam = (url: string, name: string, value: string) => `${url}${url.includes('?') ? '&' : '?'}${name}=${encodeURIComponent(value)}`;

@ApiExcludeController()
@Controller('sandbox/checkout')
export class CheckoutSimulator {
  constructor(
    private readonly sessions: SandboxCheckoutSessionsRepository,
    private readonly config: AppConfig,
    private readonly backOffice: SandboxBackOffice,
    private readonly ledger: SandboxPaymentsRepository,
    private readonly faults: SandboxFaults,
    private readonly reactions: SandboxReactions,
  ) {}

  private async session(trxId: unknown): Promise<CheckoutSession | null> {
    if (typeof trxId !== 'string' || !/^[0-9a-f]{32}$/.test(trxId)) return null;
    return this.sessions.find(trxId);
  }

  private toSuccess(reply: FastifyReply, session: CheckoutSession, payment: SandboxPayment) {
    void reply
      .status(302)
      .header('location', withParam(session.successUrl, 'transaction_id', payment.gatewayTxnId))
      .send();
  }

  @Post('api/v1/checkout')
  async create(@Headers('authorization') authorization: string | undefined, @Body() body: unknown, @Res() reply: FastifyReply) {
    if (await this.faults.apply('checkout', reply)) return;
    const json = (status: number, payload: object) => reply.status(status).header('content-type', 'application/json').send(JSON.stringify(payload));
    const key = /^Bearer (\S+)$/.exec(authorization ?? '')?.[1];
    if (!key) return json(401, { status: 'error', message: 'Unauthorized: missing API key' });
    const [registration] = await this.backOffice.accountsWhere('checkout', 'api_key', key);
    if (!registration) return json(401, { status: 'error', message: 'Unauthorized: invalid API key' });
    const b = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    let amount: string;
    try {
      amount = formatAmount(parseAmount(typeof b.amount === 'number' || typeof b.amount === 'string' ? b.amount : undefined, 'USD', { noMax: true }), 'USD');
    } catch {
      return json(400, { status: 'error', message: 'Invalid amount' });
    }
    if (typeof b.client_base_url !== 'string' || b.client_base_url !== registration.account.client_base_url)
      return json(400, { status: 'error', message: DOMAIN_MISMATCH });
    const urls = [b.success_url, b.cancel_url];
    if (!urls.every((u) => typeof u === 'string' && /^https?:\/\/\S+$/.test(u)))
      return json(400, { status: 'error', message: 'success_url and cancel_url are required' });
    if (b.meta_data !== undefined && typeof b.meta_data !== 'string') return json(400, { status: 'error', message: 'meta_data must be a JSON string' });
    const trxId = randomBytes(16).toString('hex');
    await this.sessions.create({
      trxId,
      merchantId: registration.merchantId,
      amount,
      customerName: typeof b.customer_name === 'string' ? b.customer_name : null,
      customerEmail: typeof b.customer_email === 'string' ? b.customer_email : null,
      successUrl: b.success_url as string,
      cancelUrl: b.cancel_url as string,
      metaData: typeof b.meta_data === 'string' ? b.meta_data : null,
    });
    return json(200, { status: 'success', payment_url: `${this.config.publicBaseUrl}/sandbox/checkout/checkout?trx_id=${trxId}` });
  }

  @Get('checkout')
  async page(@Query('trx_id') trxId: unknown, @Res() reply: FastifyReply) {
    const session = await this.session(trxId);
    if (!session) return reply.status(404).type('text/html').send(errorPage('Checkout', 'Invalid transaction'));
    const paid = await this.ledger.find('checkout', session.trxId);
    if (paid) return this.toSuccess(reply, session, paid);
    if (session.cancelled) return void reply.status(302).header('location', session.cancelUrl).send();
    const html = await gatewayPage({
      gateway: 'Hosted checkout',
      title: 'Complete your payment',
      amountText: `$${session.amount}`,
      qrText: `sandbox-checkout:${session.trxId}:${session.amount}`,
      payAction: '/sandbox/checkout/checkout/pay',
      cancelAction: '/sandbox/checkout/checkout/cancel',
      fields: { trx_id: session.trxId },
    });
    void reply.type('text/html').send(html);
  }

  @Post('checkout/pay')
  async pay(@Body() form: Record<string, unknown> | undefined, @Res() reply: FastifyReply) {
    const session = await this.session(form?.trx_id);
    if (!session) return reply.status(404).type('text/html').send(errorPage('Checkout', 'Invalid transaction'));
    let payment = await this.ledger.find('checkout', session.trxId);
    if (!payment) {
      if (session.cancelled) return reply.status(409).type('text/html').send(errorPage('Checkout', 'This payment was cancelled'));
      payment = await this.ledger.pay('checkout', session.trxId, session.amount, 'USD');
      const txn = await this.backOffice.transaction('checkout', session.trxId);
      await this.reactions.paid(payment, txn);
    }
    return this.toSuccess(reply, session, payment);
  }

  @Post('checkout/cancel')
  async cancel(@Body() form: Record<string, unknown> | undefined, @Res() reply: FastifyReply) {
    const session = await this.session(form?.trx_id);
    if (!session) return reply.status(404).type('text/html').send(errorPage('Checkout', 'Invalid transaction'));
    const paid = await this.ledger.find('checkout', session.trxId);
    if (paid) return this.toSuccess(reply, session, paid);
    await this.sessions.cancel(session.trxId);
    void reply.status(302).header('location', session.cancelUrl).send();
  }
}
