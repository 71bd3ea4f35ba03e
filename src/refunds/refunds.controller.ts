import { Body, Controller, Get, Headers, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCookieAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Scope } from '../common/scope';
import { Actor, ApiKeyGuard, AuthedMerchant, CurrentMerchant, CurrentScope } from '../merchants/auth';
import { IdempotencyService } from '../orders/idempotency.service';
import { CreateRefundDto, ListRefundsQuery, REFUND_EXAMPLE, RefundList, RefundResponse } from './refunds.dto';
import { RefundsService } from './refunds.service';

const problemExample = (status: number, code: string, detail: string) => ({
  description: detail,
  content: { 'application/problem+json': { example: { type: `https://khqr-orchestrator.dev/problems/${code.replace(/_/g, '-')}`, status, code, detail } } },
});

@ApiTags('Refunds')
@ApiBearerAuth('api_key')
@ApiCookieAuth('session')
@UseGuards(ApiKeyGuard)
@Controller('v1')
export class RefundsController {
  constructor(
    private readonly refunds: RefundsService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Post('orders/:id/refunds')
  @ApiOperation({
    operationId: 'createRefund',
    summary: 'Refund a PAID order (all or part)',
    description:
      'Refunds `amount` (default: what is left) of a PAID order. The refunds that have not failed never add up to more than `paid_amount`, concurrent requests included: ' +
      'otherwise 422 `amount_exceeds_refundable` and nothing is written. A gateway with a refund API is asked at once (the refund is SUCCEEDED, FAILED, or PENDING until ' +
      'reconciliation hears the final word); for the other gateways send `manual: true` once you have returned the money yourself (SUCCEEDED at once, audited), else 409 ' +
      '`refund_not_supported`. Events `refund.created`, then `refund.succeeded` or `refund.failed`. Send `Idempotency-Key` to retry safely (as for orders).',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '1–255 printable ASCII characters, e.g. a UUID.' })
  @ApiCreatedResponse({ type: RefundResponse, description: 'The refund.', content: { 'application/json': { example: REFUND_EXAMPLE } } })
  @ApiNotFoundResponse(problemExample(404, 'not_found', 'order was not found'))
  @ApiConflictResponse(
    problemExample(409, 'refund_not_supported', 'bakong has no refund API: return the money to the customer yourself and record it with "manual": true'),
  )
  @ApiUnprocessableEntityResponse(
    problemExample(422, 'amount_exceeds_refundable', '8.00 USD is more than what is left: 2.50 USD of 12.50 paid can still be refunded'),
  )
  async create(
    @CurrentMerchant() merchant: AuthedMerchant,
    @Actor() actor: string,
    @Param('id') orderId: string,
    @Body() body: CreateRefundDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    // A key is named by its id; a signed-in member by the session's actor (user:<id> <email>).
    const who = { scope: merchant.scope, actor: merchant.keyId ? `api_key:${merchant.keyId}` : actor };
    return this.idempotency.run(merchant.scope, key, { path: `/v1/orders/${orderId}/refunds`, body }, reply, () => this.refunds.create(who, orderId, body));
  }

  @Get('orders/:id/refunds')
  @ApiOperation({ operationId: 'listOrderRefunds', summary: 'List an order’s refunds, newest first' })
  @ApiOkResponse({ type: RefundList, content: { 'application/json': { example: { data: [REFUND_EXAMPLE], has_more: false } } } })
  @ApiNotFoundResponse(problemExample(404, 'not_found', 'order was not found'))
  list(@CurrentScope() scope: Scope, @Param('id') orderId: string, @Query() query: ListRefundsQuery) {
    return this.refunds.listForOrder(scope, orderId, query);
  }

  @Get('refunds/:id')
  @ApiOperation({ operationId: 'getRefund', summary: 'Retrieve a refund' })
  @ApiOkResponse({ type: RefundResponse, content: { 'application/json': { example: REFUND_EXAMPLE } } })
  @ApiNotFoundResponse(problemExample(404, 'not_found', 'refund was not found'))
  get(@CurrentScope() scope: Scope, @Param('id') id: string) {
    return this.refunds.get(scope, id);
  }
}
