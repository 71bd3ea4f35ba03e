import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { Scope } from '../common/scope';
import { ApiKeyGuard, CurrentScope } from '../merchants/auth';
import { IdempotencyService } from './idempotency.service';
import { OrderListResponse, OrderResponse } from './order.schema';
import { CreateOrderDto, ListOrdersQuery } from './orders.dto';
import { OrdersService } from './orders.service';

@ApiTags('Orders')
@ApiBearerAuth('api_key')
@ApiCookieAuth('session')
@UseGuards(ApiKeyGuard)
@Controller('v1/orders')
export class OrdersController {
  constructor(
    private readonly orders: OrdersService,
    private readonly idempotency: IdempotencyService,
  ) {}

  @Post()
  @ApiOperation({
    summary: 'Create an order',
    description:
      'Opens a payment at the chosen gateway and returns the Order with `checkout_url` (and `qr` for KHQR providers). ' +
      'Send `Idempotency-Key` to retry safely: the same key and body replay the first response (header `Idempotent-Replayed: true`), ' +
      'the same key with another body answers 422, and a key whose first request is still running answers 409. Keys are kept 48 hours. ' +
      'A gateway failure answers 502/504 and creates nothing.',
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: '1–255 printable ASCII characters, e.g. a UUID.' })
  @ApiCreatedResponse({ type: OrderResponse, description: 'The new order.' })
  async createOrder(
    @CurrentScope() scope: Scope,
    @Body() body: CreateOrderDto,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.idempotency.run(scope, key, { path: '/v1/orders', body }, reply, () => this.orders.create(scope, body));
  }

  @Get()
  @ApiOperation({
    summary: 'List orders, newest first',
    description: 'Filter by `status`, `provider`, `reference`; paginate with `limit` and `starting_after`.',
  })
  @ApiOkResponse({ type: OrderListResponse })
  listOrders(@CurrentScope() scope: Scope, @Query() query: ListOrdersQuery) {
    return this.orders.list(scope, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Retrieve an order' })
  @ApiOkResponse({ type: OrderResponse })
  getOrder(@CurrentScope() scope: Scope, @Param('id') id: string) {
    return this.orders.get(scope, id);
  }

  @Post(':id/verify')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Ask the gateway now',
    description:
      'Calls the provider’s verify/check API and applies the answer. 502/504 problem when the gateway fails; the order is then unchanged. 422 for gateways without a verify API (ahnajak, checkout).',
  })
  @ApiOkResponse({ type: OrderResponse })
  verifyOrder(@CurrentScope() scope: Scope, @Param('id') id: string) {
    return this.orders.verify(scope, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel a PENDING order',
    description: '409 problem when the order is already PAID, EXPIRED or FAILED. Cancelling a cancelled order is a no-op.',
  })
  @ApiOkResponse({ type: OrderResponse })
  cancelOrder(@CurrentScope() scope: Scope, @Param('id') id: string) {
    return this.orders.cancel(scope, id);
  }
}
