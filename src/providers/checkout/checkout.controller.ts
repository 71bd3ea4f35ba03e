import { Controller, Get, Param, Query, Res } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { InboundCallbacks, sendRedirect } from '../inbound';
import { checkoutCancelReturn, checkoutSuccessReturn } from './checkout.inbound';

@ApiTags('Callbacks')
@Controller('callbacks/checkout')
export class CheckoutCallbackController {
  constructor(private readonly inbound: InboundCallbacks) {}

  @Get(':token/return')
  @ApiOperation({
    summary: "The hosted checkout's success return",
    description:
      "The gateway redirects the customer's browser here (the success_url we gave it, carrying a random single-use token for this transaction) with " +
      '`?transaction_id=…` appended. The order becomes PAID with verification `browser_return` and the transaction_id is stored as proof, then the browser ' +
      "is redirected (302) to the merchant's success_url (or the order's status page). The gateway offers nothing stronger than the browser's word: no " +
      'signature, no webhook, no verify API; the token only proves the browser was sent here for this transaction. ' +
      'No or a wrong token: 404. A token already used (also by a cancel): 409 `return_token_used`. An order that is no longer PENDING, or past its ' +
      "expires_at: 409 `order_not_payable` (the browser's word never makes a late payment). A missing or malformed transaction_id: 400. A transaction_id already " +
      'used as proof for another payment: 409 `transaction_id_reused`. None of these change anything.',
  })
  @ApiParam({ name: 'token', description: 'The single-use return token (43 characters, base64url)' })
  @ApiQuery({ name: 'transaction_id', example: 'CJH1D2Y4W1', description: "The gateway's transaction id, stored as proof of payment" })
  @ApiResponse({ status: 302, description: "Redirect to the merchant's success_url" })
  async checkoutReturn(@Param('token') token: string, @Query() query: Record<string, unknown>, @Res() reply: FastifyReply): Promise<void> {
    const { location } = await this.inbound.handle(checkoutSuccessReturn, { params: { token }, query, headers: {} });
    sendRedirect(reply, location, { noReferrer: true });
  }

  @Get(':token/cancel')
  @ApiOperation({
    summary: "The hosted checkout's cancel return",
    description:
      "The customer cancelled on the gateway's page (the cancel_url we gave it, carrying its own random token, independent of the return token). " +
      "The transaction's return link is spent, so it can no longer pay; a PENDING order becomes CANCELLED and the browser is redirected (302) to " +
      "the merchant's cancel_url (or the order's status page). After a success return, or for an order that is no longer pending, the order stays as it is. A wrong token: 404.",
  })
  @ApiParam({ name: 'token', description: 'The cancel token of the transaction (43 characters, base64url)' })
  @ApiResponse({ status: 302, description: "Redirect to the merchant's cancel_url" })
  async checkoutCancel(@Param('token') token: string, @Res() reply: FastifyReply): Promise<void> {
    const { location } = await this.inbound.handle(checkoutCancelReturn, { params: { token }, query: {}, headers: {} });
    sendRedirect(reply, location, { noReferrer: true });
  }
}
