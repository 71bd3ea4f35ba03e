import { Controller, Get, Headers, HttpCode, Param, Post, RawBodyRequest, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DataSource } from 'typeorm';
import { Clock } from '../../common/clock';
import { sha256Hex } from '../../common/crypto';
import { notFound, ProblemException } from '../../common/problem';
import { AppConfig } from '../../config/config';
import { ProviderAccountsService } from '../../merchants/provider-accounts.service';
import { Order, Transaction } from '../../orders/order.entity';
import { OrderTransitions } from '../../orders/order-transitions.service';
import { ProviderCredentials } from '../provider';
import { AHNAJAK_RETURN_TOKEN } from './ahnajak.provider';
import { AHNAJAK_SIGNATURE_HEADER, AHNAJAK_WEBHOOK_MAX_BYTES, fieldNames, interpretWebhook, verifyWebhook } from './ahnajak.transformers';

const MERCHANT_ID = /^[a-z]{2,5}_[0-9a-z]{1,64}$/;

@ApiTags('Callbacks')
@Controller('callbacks/ahnajak')
export class AhnajakCallbackController {
  constructor(
    private readonly db: DataSource,
    private readonly accounts: ProviderAccountsService,
    private readonly transitions: OrderTransitions,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  @Post(':merchantId')
  @HttpCode(200)
  @ApiOperation({
    summary: "Ahnajak's payment webhook",
    description:
      'Set your Ahnajak dashboard\'s Webhook URL (Gateway Setup) to `{PUBLIC_BASE_URL}/callbacks/ahnajak/{your merchant id}`. ' +
      'Verified exactly as the document\'s webhook_receiver.php does, in constant time: `X-Ahnajak-Signature` must be the hex HMAC-SHA256 of the raw body bytes ' +
      'with your secret_key (else 403 `invalid_signature`), then the payload `hash` must be sha256(transaction_id . amount . secret_key) over the values exactly as ' +
      'received (else 403 `hash_mismatch`). Field names follow your account\'s payload_template when you set one. `status: "SUCCESS"` for one of your ' +
      'transactions marks the order PAID (verification `signed_webhook`) when the amount matches, or flags it `amount_mismatch`. ' +
      'A repeated webhook answers 200 and changes nothing. Any other status (422), a missing field or unusable amount (400), or a transaction that is not yours (404) changes nothing.',
  })
  @ApiParam({ name: 'merchantId', description: 'Your merchant id: it selects the secret_key the webhook is verified with.', example: 'mer_01jd2b3c4d5e6f7g8h9j0kmnpq' })
  @ApiHeader({ name: 'X-Ahnajak-Signature', required: true, description: 'hex HMAC-SHA256(secret_key, raw body)' })
  @ApiBody({
    schema: {
      type: 'object',
      example: { transaction_id: '100000001', amount: '12.50', status: 'SUCCESS', hash: 'sha256(transaction_id . amount . secret_key)' },
    },
  })
  @ApiOkResponse({ description: 'Received: `{"received": true, "outcome": "paid" | "duplicate" | "flagged"}`' })
  @ApiResponse({ status: 403, description: 'Bad header signature or payload hash; nothing changes.' })
  async webhook(@Param('merchantId') merchantId: string, @Headers(AHNAJAK_SIGNATURE_HEADER) signature: string | undefined, @Req() req: RawBodyRequest<FastifyRequest>) {
    if (!MERCHANT_ID.test(merchantId)) throw notFound('merchant');
    const raw = req.rawBody;
    if (!raw) throw new ProblemException(400, 'malformed_payload', 'send the webhook as application/json');
    if (raw.length > AHNAJAK_WEBHOOK_MAX_BYTES) throw new ProblemException(413, 'body_too_large', `an Ahnajak webhook is at most ${AHNAJAK_WEBHOOK_MAX_BYTES} bytes`);
    let account: ProviderCredentials;
    try {
      account = await this.accounts.credentials(merchantId, 'ahnajak');
    } catch (err) {
      if (err instanceof ProblemException && err.code === 'provider_account_missing') throw notFound('ahnajak account');
      throw err;
    }
    const names = fieldNames(account.payload_template);
    const verified = verifyWebhook(raw, signature, String(account.secret_key), names);
    if (!verified.ok) throw new ProblemException(verified.code === 'malformed_payload' ? 400 : 403, verified.code, verified.detail);
    const payment = interpretWebhook(verified, 'USD', names);
    if (!payment.ok) throw new ProblemException(payment.status, payment.code, payment.detail);
    // Scoped to the merchant whose secret verified it: another merchant's transaction is not found.
    const txn = await this.db.getRepository(Transaction).findOneBy({ provider: 'ahnajak', providerReference: payment.transactionNumber, merchantId });
    if (!txn) throw notFound(`transaction ${payment.transactionNumber}`);
    const result = await this.transitions.apply(
      txn.orderId,
      { kind: 'pay', verification: 'signed_webhook', paidAmountMinor: payment.paidAmountMinor, paidCurrency: txn.currency, paidAt: this.clock.now() },
      { transactionId: txn.id, actor: 'provider:ahnajak', reason: 'signed webhook' },
    );
    const outcome = !result.changed ? 'duplicate' : result.decision.outcome === 'flag' ? 'flagged' : 'paid';
    return { received: true, outcome };
  }

  @Get(':token/return')
  @ApiOperation({
    summary: "The customer's return from Ahnajak",
    description:
      'The gateway sends the customer\'s browser here (its success_url, carrying a random token of this transaction) with success_hash, success_time and ' +
      'success_amount. Their formula is not documented, so this return is never evidence of payment and changes nothing: it redirects (302) to the ' +
      'merchant\'s success_url when the order is already PAID (the signed webhook arrived), otherwise to the order\'s status page /pay/{orderId}, which ' +
      'follows the order until it is paid or expires. Any other token (a transaction number included): the same 404.',
  })
  @ApiParam({ name: 'token', description: 'The return token of the transaction (43 characters, base64url)' })
  @ApiResponse({ status: 302, description: "Redirect to the merchant's success_url (PAID) or to /pay/{orderId}" })
  async customerReturn(@Param('token') token: string, @Res() reply: FastifyReply): Promise<void> {
    // Found by the token's sha256 (nothing secret compared in JavaScript); whatever is wrong, one answer, so nobody can walk transactions.
    const txn = AHNAJAK_RETURN_TOKEN.test(token) ? await this.db.getRepository(Transaction).findOneBy({ provider: 'ahnajak', returnTokenHash: sha256Hex(token) }) : null;
    if (!txn) throw notFound('return link');
    const order = await this.db.getRepository(Order).findOneByOrFail({ id: txn.orderId, merchantId: txn.merchantId });
    const target = order.status === 'PAID' && order.successUrl ? order.successUrl : `${this.config.publicBaseUrl}/pay/${order.id}`;
    void reply.status(302).header('location', target).header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').send();
  }
}
