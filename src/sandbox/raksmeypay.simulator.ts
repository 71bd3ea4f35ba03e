import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { formatAmount } from '../common/money';
import { field, SandboxBackOffice } from './back-office';
import { SandboxFaults } from './faults';
import { SandboxPaymentsRepository } from './sandbox-payments.repository';
import { errorPage, gatewayPage } from './page';
import { SandboxReactions } from './simulators';

/**
 * RaksmeyPay as its document describes it, from the gateway's side of the wire. Written from
 * seed 000 alone (it does not import the provider module): it receives the query as PHP's
 * $_GET would, checks sha1($profile_key . $transaction_id . $amount . $success_url . $remark)
 * over the decoded values, and signs the success redirect.
 */
const sha1 = (s: string) => createHash('sha1').update(s, 'utf8').digest('hex');
const same = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
/** How RaksmeyPay prints an amount (a PHP float): "12.50" -> "12.5", "10.00" -> "10". */
const phpFloat = (decimal: string) => (decimal.includes('.') ? decimal.replace(/0+$/, '').replace(/\.$/, '') : decimal);

type FormFields = Record<string, string | undefined>;

@ApiExcludeController()
@Controller('sandbox/raksmeypay')
export class RaksmeypaySimulator {
  constructor(
    private readonly backOffice: SandboxBackOffice,
    private readonly ledger: SandboxPaymentsRepository,
    private readonly faults: SandboxFaults,
    private readonly reactions: SandboxReactions,
  ) {}

  /** Resolves and authenticates a payment request; an error string when the real gateway would refuse it. */
  private async authenticate(profileId: string, q: FormFields) {
    const transactionId = q.transaction_id ?? '';
    if (!/^\d+$/.test(transactionId)) return { error: 'transaction_id must be a number' } as const;
    const txn = await this.backOffice.transaction('raksmeypay', transactionId);
    const account = txn ? await this.backOffice.account(txn, 'raksmeypay') : null;
    if (!txn || !account || field(account, 'profile_id') !== profileId) return { error: 'Invalid profile or transaction' } as const;
    const expected = sha1(field(account, 'profile_key') + transactionId + (q.amount ?? '') + (q.success_url ?? '') + (q.remark ?? ''));
    if (!same(expected, String(q.hash ?? ''))) return { error: 'Invalid hash' } as const;
    return { txn, account, transactionId } as const;
  }

  private async redirectToSuccess(reply: FastifyReply, q: FormFields, profileKey: string, transactionId: string, amount: string, bakongHash: string) {
    const successTime = String(Math.floor(Date.now() / 1000));
    const successAmount = phpFloat(amount);
    const successHash = sha1(profileKey + successTime + successAmount + bakongHash + transactionId);
    const target = decodeURIComponent((q.success_url ?? '').replace(/\+/g, ' '));
    const params = new URLSearchParams({ success_time: successTime, success_amount: successAmount, bakong_hash: bakongHash, success_hash: successHash });
    void reply
      .status(302)
      .header('location', `${target}${target.includes('?') ? '&' : '?'}${params}`)
      .send();
  }

  @Get('payment/request/:profileId')
  async page(@Param('profileId') profileId: string, @Query() q: FormFields, @Res() reply: FastifyReply) {
    if (await this.faults.apply('raksmeypay', reply)) return;
    const auth = await this.authenticate(profileId, q);
    if ('error' in auth)
      return reply
        .status(400)
        .type('text/html')
        .send(errorPage('RaksmeyPay', auth.error ?? 'refused'));
    const paid = await this.ledger.find('raksmeypay', auth.transactionId);
    // Already paid (e.g. through /sandbox/control/pay): straight back to the merchant, as the real page does.
    if (paid) return this.redirectToSuccess(reply, q, field(auth.account, 'profile_key'), auth.transactionId, paid.amount, paid.gatewayTxnId);
    const html = await gatewayPage({
      gateway: 'RaksmeyPay',
      title: q.remark ? `Payment: ${q.remark}` : 'Payment',
      amountText: `$${q.amount}`,
      qrText: `00020101021229180014sandbox@raksmeypay5303840540${(q.amount ?? '').length}${q.amount}6304ABCD`,
      payAction: `/sandbox/raksmeypay/payment/request/${encodeURIComponent(profileId)}/pay`,
      fields: Object.fromEntries(Object.entries(q).filter(([, v]) => typeof v === 'string')) as Record<string, string>,
    });
    void reply.type('text/html').send(html);
  }

  @Post('payment/request/:profileId/pay')
  async payButton(@Param('profileId') profileId: string, @Body() form: FormFields, @Res() reply: FastifyReply) {
    const auth = await this.authenticate(profileId, form ?? {});
    if ('error' in auth)
      return reply
        .status(400)
        .type('text/html')
        .send(errorPage('RaksmeyPay', auth.error ?? 'refused'));
    const payment = await this.ledger.pay('raksmeypay', auth.transactionId, formatAmount(auth.txn.amountMinor, auth.txn.currency), auth.txn.currency);
    await this.reactions.paid(payment, auth.txn);
    return this.redirectToSuccess(reply, form, field(auth.account, 'profile_key'), auth.transactionId, payment.amount, payment.gatewayTxnId);
  }

  @Post('api/payment/verify/:profileId')
  @HttpCode(200)
  async verify(@Param('profileId') profileId: string, @Body() form: FormFields, @Res() reply: FastifyReply) {
    if (await this.faults.apply('raksmeypay', reply)) return;
    const transactionId = String(form?.transaction_id ?? '');
    // The payment with its merchant's registration, and the ledger, looked up together: two queries at once.
    const [found, paid] = /^\d+$/.test(transactionId)
      ? await Promise.all([this.backOffice.transactionWithAccount('raksmeypay', transactionId), this.ledger.find('raksmeypay', transactionId)])
      : [null, null];
    const txn = found?.txn;
    const account = found?.account;
    const json = (body: string) => reply.status(200).header('content-type', 'application/json').send(body);
    if (!txn || !account || field(account, 'profile_id') !== profileId) return json('{"status":0,"err_msg":"Payment not found"}');
    if (!same(sha1(field(account, 'profile_key') + transactionId), String(form.hash ?? ''))) return json('{"status":0,"err_msg":"Invalid hash"}');
    // payment_amount is a bare JSON number, as the document's samples show.
    const amount = phpFloat(paid ? paid.amount : formatAmount(txn.amountMinor, txn.currency));
    return json(`{"status":1,"payment_amount":${amount},"payment_status":"${paid ? 'SUCCESS' : 'PENDING'}"}`);
  }
}
