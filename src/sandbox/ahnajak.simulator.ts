import { Controller, Get, Logger, OnModuleInit, Param, Post, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { Currency, formatAmount, parseAmount } from '../common/money';
import { AppConfig } from '../config/config';
import { field, SandboxBackOffice, SandboxTransaction } from './back-office';
import { SandboxFaults } from './faults';
import { SandboxPayment, SandboxPaymentsRepository } from './sandbox-payments.repository';
import { errorPage, gatewayPage } from './page';
import { AhnajakSession, SandboxAhnajakSessionsRepository } from './sandbox-ahnajak-sessions.repository';
import { SandboxReactions } from './simulators';

/**
 * Ahnajak (ABA Pay) as its document describes it, from the gateway's side of the wire. Written
 * from seed 001 alone (it does not import the provider module):
 * - GET /api/payment/requestv2/{profile_id} checks sha256(profile_id . transaction_id . amount .
 *   secret_key) over the query values as PHP's $_GET would see them, creates a session and
 *   redirects to /payment/khqrcc/{tx_id} (KHQR, countdown, Pay button);
 * - paying POSTs the webhook to the merchant's Webhook URL (the dashboard setting, here
 *   PUBLIC_BASE_URL/callbacks/ahnajak/{merchant id}), signed both ways: header X-Ahnajak-Signature
 *   = hmac-sha256(secret_key, JSON.stringify(payload)) and payload hash = sha256(transaction_id .
 *   amount . secret_key), in the default shape or the account's custom template, with the amount
 *   as a string such as "12.50"; then the browser goes to success_url with success_hash,
 *   success_time and success_amount (the hash formula is not documented; the sandbox makes one up).
 */
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
/** How long the hosted checkout's countdown runs. */
const SESSION_SECONDS = 15 * 60;
const WEBHOOK_TIMEOUT_MS = 5_000;
const VARIABLES = ['transaction_id', 'amount', 'status', 'hash'];

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

@ApiExcludeController()
@Controller('sandbox/ahnajak')
export class AhnajakSimulator implements OnModuleInit {
  private readonly logger = new Logger('Sandbox:ahnajak');

  constructor(
    private readonly sessions: SandboxAhnajakSessionsRepository,
    private readonly config: AppConfig,
    private readonly backOffice: SandboxBackOffice,
    private readonly ledger: SandboxPaymentsRepository,
    private readonly faults: SandboxFaults,
    private readonly reactions: SandboxReactions,
  ) {}

  onModuleInit(): void {
    this.reactions.register({ provider: 'ahnajak', onPaid: (payment, txn) => this.sendWebhook(payment, txn) });
  }

  private async session(txId: string): Promise<AhnajakSession | null> {
    if (!/^[0-9a-f]{24}$/.test(txId)) return null;
    return this.sessions.find(txId);
  }

  private page(reply: FastifyReply, status: number, message: string) {
    return reply.status(status).type('text/html').send(errorPage('Ahnajak', message));
  }

  @Get('api/payment/requestv2/:profileId')
  async requestv2(@Param('profileId') profileId: string, @Query() q: Record<string, unknown>, @Res() reply: FastifyReply) {
    if (await this.faults.apply('ahnajak', reply)) return;
    const transactionId = str(q.transaction_id);
    const amount = str(q.amount);
    const hash = str(q.hash);
    if (!transactionId || !amount || !hash) return this.page(reply, 400, 'transaction_id, amount and hash are required');
    if (!validAmount(amount)) return this.page(reply, 400, 'Invalid amount (Min: 0.01)');
    const accounts = await this.backOffice.accountsWhere('ahnajak', 'profile_id', profileId);
    if (!accounts.length) return this.page(reply, 404, 'Invalid profile');
    const match = accounts.find((a) => same(sha256(profileId + transactionId + amount + field(a.account, 'secret_key')), hash));
    if (!match) return this.page(reply, 403, 'Invalid hash');
    const successUrl = str(q.success_url) ?? null;
    const remark = str(q.remark) ?? null;
    const txId = randomBytes(12).toString('hex');
    // transaction_id is unique per transaction: opening the same link again resumes its session.
    const session = await this.sessions.openOrResume(
      { txId, merchantId: match.merchantId, profileId, transactionId, amount, successUrl, remark },
      SESSION_SECONDS,
    );
    if (session.amount !== amount) return this.page(reply, 409, 'Duplicate transaction_id');
    void reply.status(302).header('location', `/sandbox/ahnajak/payment/khqrcc/${session.txId}`).send();
  }

  @Get('payment/khqrcc/:txId')
  async checkoutPage(@Param('txId') txId: string, @Res() reply: FastifyReply) {
    const session = await this.session(txId);
    if (!session) return this.page(reply, 404, 'Payment session not found');
    const paid = await this.ledger.find('ahnajak', session.transactionId);
    if (paid) return this.toSuccess(reply, session, paid);
    if (session.expiresAt.getTime() < Date.now()) return this.page(reply, 410, 'This payment session has expired');
    const html = await gatewayPage({
      gateway: 'Ahnajak · ABA Pay',
      title: session.remark ? `Pay ${session.remark}` : 'ABA Pay checkout',
      amountText: `$${session.amount}`,
      qrText: `00020101021229300012sandbox@aba0110${session.transactionId.slice(-10).padStart(10, '0')}5303840540${Math.min(session.amount.length, 9)}${session.amount.slice(0, 9)}5802KH6304ABCD`,
      payAction: `/sandbox/ahnajak/payment/khqrcc/${session.txId}/pay`,
      fields: {},
      note: 'Scan with ABA Mobile or any KHQR banking app.',
    });
    const seconds = Math.max(0, Math.floor((session.expiresAt.getTime() - Date.now()) / 1000));
    const extras =
      `<p><a href="abamobilebank://ababank.com?type=payway&qrcode=sandbox" id="deeplink">Open in ABA Mobile</a></p>` +
      `<p>Expires in <span id="countdown" data-seconds="${seconds}">${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}</span></p>` +
      `<script>(()=>{const el=document.getElementById('countdown');let s=Number(el.dataset.seconds);const t=setInterval(()=>{s=Math.max(0,s-1);el.textContent=Math.floor(s/60)+':'+String(s%60).padStart(2,'0');if(!s){clearInterval(t);document.getElementById('pay').disabled=true;}},1000);})();</script>`;
    void reply.type('text/html').send(html.replace('</main>', `${extras}</main>`));
  }

  @Post('payment/khqrcc/:txId/pay')
  async payButton(@Param('txId') txId: string, @Res() reply: FastifyReply) {
    const session = await this.session(txId);
    if (!session) return this.page(reply, 404, 'Payment session not found');
    let payment = await this.ledger.find('ahnajak', session.transactionId);
    if (!payment) {
      if (session.expiresAt.getTime() < Date.now()) return this.page(reply, 410, 'This payment session has expired');
      const txn = await this.backOffice.transaction('ahnajak', session.transactionId);
      const currency: Currency = txn?.currency ?? 'USD';
      payment = await this.ledger.pay(
        'ahnajak',
        session.transactionId,
        formatAmount(parseAmount(session.amount, currency, { noMax: true }), currency),
        currency,
      );
      await this.reactions.paid(payment, txn && txn.merchantId === session.merchantId ? txn : null);
    }
    return this.toSuccess(reply, session, payment);
  }

  /** The customer's redirect to success_url, or a receipt when the merchant gave none. */
  private async toSuccess(reply: FastifyReply, session: AhnajakSession, payment: SandboxPayment) {
    if (!session.successUrl)
      return reply
        .status(200)
        .type('text/html')
        .send(
          '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Paid — sandbox</title></head><body><h1 id="paid">Payment successful</h1></body></html>',
        );
    // The registration the session was opened under (profile ids are per account, so per merchant and mode).
    const account = (await this.backOffice.accountsWhere('ahnajak', 'profile_id', session.profileId)).find((a) => a.merchantId === session.merchantId)?.account;
    const successTime = String(Math.floor(payment.paidAt.getTime() / 1000));
    const params = new URLSearchParams({
      success_hash: sha256(session.transactionId + successTime + session.amount + field(account, 'secret_key')),
      success_time: successTime,
      success_amount: session.amount,
    });
    void reply
      .status(302)
      .header('location', `${session.successUrl}${session.successUrl.includes('?') ? '&' : '?'}${params}`)
      .send();
  }

  /** The dashboard's webhook: default payload or the merchant's custom template, signed both ways. */
  private async sendWebhook(payment: SandboxPayment, txn: SandboxTransaction | null): Promise<void> {
    if (!txn) return;
    const account = await this.backOffice.account(txn, 'ahnajak');
    if (!account) return;
    const secret = field(account, 'secret_key');
    const values: Record<string, string> = { transaction_id: payment.providerReference, amount: payment.amount, status: 'SUCCESS' };
    values.hash = sha256(values.transaction_id + values.amount + secret);
    const template = account.payload_template;
    const payload: Record<string, string> =
      template && typeof template === 'object'
        ? Object.fromEntries(
            Object.entries(template as Record<string, string>).map(([field, variable]) => {
              const name = String(variable)
                .trim()
                .replace(/^\{\{\s*(.*?)\s*\}\}$/, '$1');
              return [field, VARIABLES.includes(name) ? values[name] : String(variable)];
            }),
          )
        : { transaction_id: values.transaction_id, amount: values.amount, status: values.status, hash: values.hash };
    const body = JSON.stringify(payload);
    const url = `${this.config.publicBaseUrl}/callbacks/ahnajak/${txn.merchantId}`;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-ahnajak-signature': createHmac('sha256', secret).update(body).digest('hex') },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      if (!res.ok) this.logger.warn({ url, status: res.status }, 'webhook refused');
    } catch (err) {
      this.logger.warn({ url, err: (err as Error).message }, 'webhook failed');
    }
  }
}

/** A USD amount of at least 0.01, as the document requires. */
function validAmount(amount: string): boolean {
  try {
    parseAmount(amount, 'USD', { noMax: true });
    return true;
  } catch {
    return false;
  }
}
