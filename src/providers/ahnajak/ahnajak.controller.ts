import { Controller, Get, Headers, HttpCode, Param, Post, RawBodyRequest, Req, Res } from '@nestjs/common';
import { ApiBody, ApiHeader, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { InboundCallbacks, sendRedirect } from '../inbound';
import { ahnajakCustomerReturn, ahnajakWebhook } from './ahnajak.inbound';
import { AHNAJAK_SIGNATURE_HEADER } from './ahnajak.transformers';

@ApiTags('Callbacks')
@Controller('callbacks/ahnajak')
export class AhnajakCallbackController {
  constructor(private readonly inbound: InboundCallbacks) {}

  @Post(':merchantId')
  @HttpCode(200)
  @ApiOperation({
    summary: "Ahnajak's payment webhook",
    description:
      "Set your Ahnajak dashboard's Webhook URL (Gateway Setup) to `{PUBLIC_BASE_URL}/callbacks/ahnajak/{your merchant id}`. " +
      "Verified exactly as the document's webhook_receiver.php does, in constant time: `X-Ahnajak-Signature` must be the hex HMAC-SHA256 of the raw body bytes " +
      'with your secret_key (else 403 `invalid_signature`), then the payload `hash` must be sha256(transaction_id . amount . secret_key) over the values exactly as ' +
      'received (else 403 `hash_mismatch`). Field names follow your account\'s payload_template when you set one. `status: "SUCCESS"` for one of your ' +
      'transactions marks the order PAID (verification `signed_webhook`) when the amount matches, or flags it `amount_mismatch`. ' +
      'A repeated webhook answers 200 and changes nothing. Any other status (422), a missing field or unusable amount (400), or a transaction that is not yours (404) changes nothing.',
  })
  @ApiParam({
    name: 'merchantId',
    description: 'Your merchant id: it selects the secret_key the webhook is verified with.',
    example: 'mer_01jd2b3c4d5e6f7g8h9j0kmnpq',
  })
  @ApiHeader({ name: 'X-Ahnajak-Signature', required: true, description: 'hex HMAC-SHA256(secret_key, raw body)' })
  @ApiBody({
    schema: {
      type: 'object',
      example: { transaction_id: '100000001', amount: '12.50', status: 'SUCCESS', hash: 'sha256(transaction_id . amount . secret_key)' },
    },
  })
  @ApiOkResponse({ description: 'Received: `{"received": true, "outcome": "paid" | "duplicate" | "flagged"}`' })
  @ApiResponse({ status: 403, description: 'Bad header signature or payload hash; nothing changes.' })
  async ahnajakWebhook(
    @Param('merchantId') merchantId: string,
    @Headers(AHNAJAK_SIGNATURE_HEADER) signature: string | undefined,
    @Req() req: RawBodyRequest<FastifyRequest>,
  ) {
    const { result } = await this.inbound.handle(ahnajakWebhook, {
      params: { merchantId },
      query: {},
      headers: { [AHNAJAK_SIGNATURE_HEADER]: signature },
      rawBody: req.rawBody,
    });
    return { received: true, outcome: result === 'unchanged' ? 'duplicate' : result };
  }

  @Get(':token/return')
  @ApiOperation({
    summary: "The customer's return from Ahnajak",
    description:
      "The gateway sends the customer's browser here (its success_url, carrying a random token of this transaction) with success_hash, success_time and " +
      'success_amount. Their formula is not documented, so this return is never evidence of payment and changes nothing: it redirects (302) to the ' +
      "merchant's success_url when the order is already PAID (the signed webhook arrived), otherwise to the order's status page /pay/{orderId}, which " +
      'follows the order until it is paid or expires. Any other token (a transaction number included): the same 404.',
  })
  @ApiParam({ name: 'token', description: 'The return token of the transaction (43 characters, base64url)' })
  @ApiResponse({ status: 302, description: "Redirect to the merchant's success_url (PAID) or to /pay/{orderId}" })
  async ahnajakReturn(@Param('token') token: string, @Res() reply: FastifyReply): Promise<void> {
    const { location } = await this.inbound.handle(ahnajakCustomerReturn, { params: { token }, query: {}, headers: {} });
    sendRedirect(reply, location, { noReferrer: true });
  }
}
