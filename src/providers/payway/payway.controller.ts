import { Controller, HttpCode, Post, RawBodyRequest, Req } from '@nestjs/common';
import { ApiBody, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { InboundCallbacks } from '../inbound';
import { paywayPushback } from './payway.inbound';

@ApiTags('Callbacks')
@Controller('callbacks/payway')
export class PaywayCallbackController {
  constructor(private readonly inbound: InboundCallbacks) {}

  @Post('pushback')
  @HttpCode(200)
  @ApiOperation({
    summary: "PayWay's pushback",
    description:
      'The callback_url every PayWay QR carries (base64-encoded in the QR API request): PayWay posts `{tran_id, apv, status}` here once the customer ' +
      'paid. The pushback is not signed, so it is never evidence of payment by itself: for one of your transactions it makes the orchestrator ask ' +
      "PayWay's Check Transaction API at once, and only that answer moves the order (verification `provider_api`; an amount that differs flags it " +
      '`amount_mismatch`). A forged pushback for an unpaid order changes nothing; a repeated one for a paid order answers 200 `duplicate` without ' +
      'asking PayWay. An unknown tran_id answers 404, a body that is not the documented JSON 400, and a PayWay that cannot be reached 502/504 (nothing changes).',
  })
  @ApiBody({
    schema: { type: 'object', required: ['tran_id', 'status'], example: { tran_id: '100000001', apv: '123456', status: '0', merchant_ref_no: 'ref0001' } },
  })
  @ApiOkResponse({
    description:
      'Received: `{"received": true, "outcome": "paid" | "flagged" | "duplicate"}` (duplicate: nothing changed, e.g. not paid at PayWay or already paid).',
    schema: { type: 'object', example: { received: true, outcome: 'paid' } },
  })
  @ApiResponse({ status: 400, description: 'Not the documented pushback JSON (`malformed_payload`); nothing changes.' })
  @ApiResponse({ status: 404, description: 'No transaction of ours has this tran_id (`not_found`); nothing changes.' })
  @ApiResponse({ status: 502, description: 'Check Transaction failed (`provider_*`); nothing changes, PayWay may push again.' })
  async pushback(@Req() req: RawBodyRequest<FastifyRequest>) {
    const { result } = await this.inbound.handle(paywayPushback, { params: {}, query: {}, headers: {}, rawBody: req.rawBody });
    return { received: true, outcome: result === 'unchanged' ? 'duplicate' : result };
  }
}
