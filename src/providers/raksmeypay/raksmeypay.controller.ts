import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { Clock } from '../../common/clock';
import { notFound, ProblemException } from '../../common/problem';
import { AppConfig } from '../../config/config';
import { ProviderAccountsService } from '../../merchants/provider-accounts.service';
import { Order, Transaction } from '../../orders/order.entity';
import { OrderTransitions } from '../../orders/order-transitions.service';
import { checkSuccessReturn } from './raksmeypay.transformers';

@ApiTags('Callbacks')
@Controller('callbacks/raksmeypay')
export class RaksmeypayCallbackController {
  constructor(
    private readonly db: DataSource,
    private readonly accounts: ProviderAccountsService,
    private readonly transitions: OrderTransitions,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  @Get(':transactionNumber/return')
  @ApiOperation({
    summary: "RaksmeyPay's success return",
    description:
      'The customer\'s browser lands here after paying, with success_time, success_amount, bakong_hash and success_hash. ' +
      'The hash is checked in constant time against sha1(profile_key . success_time . success_amount . bakong_hash . transaction_id) and must be at most 180 s old. ' +
      'A valid return marks the order PAID (verification signed_return) when the amount matches, then redirects (302) to the order\'s success_url, or to its status page. ' +
      'A forged, tampered or stale return answers a 400 problem and changes nothing; so does a return for a number that does not exist (the same ' +
      'answer as a forged return for one that does).',
  })
  @ApiParam({ name: 'transactionNumber', example: '100000001' })
  @ApiResponse({ status: 302, description: "Redirect to the merchant's success_url" })
  async success(@Param('transactionNumber') number: string, @Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<void> {
    if (!/^\d{1,18}$/.test(number)) throw notFound('transaction');
    // A number we do not know is checked like any other (with no key, so it fails at the hash): the answer must not tell
    // anyone which numbers exist, or the sequential numbers could be walked.
    const txn = await this.db.getRepository(Transaction).findOneBy({ provider: 'raksmeypay', providerReference: number });
    const profileKey = txn ? String((await this.accounts.credentials(txn.merchantId, 'raksmeypay')).profile_key) : null;
    const check = checkSuccessReturn(query, profileKey, number, txn?.currency ?? 'USD', Math.floor(this.clock.nowMs() / 1000));
    if (!check.ok) throw new ProblemException(400, check.code, check.detail);
    if (!txn) throw new ProblemException(400, 'invalid_signature', 'success_hash does not match'); // never: only a known transaction's key verifies
    const result = await this.transitions.apply(
      txn.orderId,
      { kind: 'pay', verification: 'signed_return', paidAmountMinor: check.paidAmountMinor, paidCurrency: txn.currency, paidAt: check.paidAt },
      { transactionId: txn.id, actor: 'provider:raksmeypay', proof: check.bakongHash || undefined, reason: 'signed success return' },
    );
    const order: Order = result.order;
    const target = order.status === 'PAID' && order.successUrl ? order.successUrl : `${this.config.publicBaseUrl}/pay/${order.id}`;
    void reply.status(302).header('location', target).header('cache-control', 'no-store').send();
  }
}
