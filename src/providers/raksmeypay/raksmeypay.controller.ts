import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { InboundCallbacks, sendRedirect } from '../inbound';
import { raksmeypaySuccessReturn } from './raksmeypay.inbound';

@ApiTags('Callbacks')
@Controller('callbacks/raksmeypay')
export class RaksmeypayCallbackController {
  constructor(private readonly inbound: InboundCallbacks) {}

  @Get(':transactionNumber/return')
  @ApiOperation({
    summary: "RaksmeyPay's success return",
    description:
      "The customer's browser lands here after paying, with success_time, success_amount, bakong_hash and success_hash. " +
      'The hash is checked in constant time against sha1(profile_key . success_time . success_amount . bakong_hash . transaction_id) and must be at most 180 s old. ' +
      "A valid return marks the order PAID (verification signed_return) when the amount matches, then redirects (302) to the order's success_url, or to its status page. " +
      'A forged, tampered or stale return answers a 400 problem and changes nothing; so does a return for a number that does not exist (the same ' +
      'answer as a forged return for one that does).',
  })
  @ApiParam({ name: 'transactionNumber', example: '100000001' })
  @ApiResponse({ status: 302, description: "Redirect to the merchant's success_url" })
  async raksmeypayReturn(@Param('transactionNumber') number: string, @Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<void> {
    const { location } = await this.inbound.handle(raksmeypaySuccessReturn, { params: { transactionNumber: number }, query, headers: {} });
    sendRedirect(reply, location, { noReferrer: false });
  }
}
