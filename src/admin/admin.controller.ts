import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AdminGuard } from '../merchants/auth';
import { OrderListResponse, OrderResponse } from '../orders/order.schema';
import {
  AdminListOrdersQuery,
  ApiKeyList,
  ApiKeyView,
  AuditEntryList,
  AuditLogQuery,
  ReasonDto,
  ResolveTransactionDto,
  RotatedKeyView,
  RotateKeyDto,
} from './admin.dto';
import { AdminService } from './admin.service';

/** The actor AdminGuard put on the request (`admin_token:<fingerprint>`). */
const actorOf = (req: FastifyRequest) => (req as FastifyRequest & { actor?: string }).actor ?? 'admin';

@ApiTags('Admin')
@ApiBearerAuth('admin')
@ApiCookieAuth('session')
@UseGuards(AdminGuard)
@Controller('admin/merchants')
export class AdminMerchantOpsController {
  constructor(private readonly admin: AdminService) {}

  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a merchant' })
  getMerchant(@Param('id') id: string) {
    return this.admin.merchant(id);
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Disable a merchant',
    description:
      'Its API keys stop authenticating (at once on the instance that served this call, within 5 seconds on the others). ' +
      'Gateway callbacks for its existing orders still apply, so money that arrives is never dropped. Idempotent; audited.',
  })
  disableMerchant(@Param('id') id: string, @Body() body: ReasonDto, @Req() req: FastifyRequest) {
    return this.admin.setMerchantStatus(id, 'disabled', actorOf(req), body?.reason);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Re-enable a disabled merchant', description: 'Its unexpired, unrevoked keys work again. Idempotent; audited.' })
  enableMerchant(@Param('id') id: string, @Body() body: ReasonDto, @Req() req: FastifyRequest) {
    return this.admin.setMerchantStatus(id, 'active', actorOf(req), body?.reason);
  }

  @Get(':id/api-keys')
  @ApiOperation({ summary: "A merchant's API keys", description: 'Last four characters only; keys are stored hashed and never shown again after issue.' })
  @ApiOkResponse({ type: ApiKeyList })
  listMerchantApiKeys(@Param('id') id: string) {
    return this.admin.listKeys(id);
  }

  @Post(':id/api-keys/rotate')
  @ApiOperation({
    summary: 'Rotate API keys with an overlap window',
    description:
      'Issues a new key (shown only in this response) and makes every key of the same mode in use now expire after `overlap_seconds` ' +
      '(default 24 h; 0 retires them at once), so the merchant can deploy the new key without downtime. Audited.',
  })
  @ApiCreatedResponse({ type: RotatedKeyView })
  rotateMerchantApiKey(@Param('id') id: string, @Body() body: RotateKeyDto, @Req() req: FastifyRequest) {
    return this.admin.rotateKey(id, body?.overlap_seconds, actorOf(req), body?.reason, body?.livemode ?? true);
  }

  @Delete(':id/api-keys/:keyId')
  @ApiOperation({ summary: 'Revoke one API key now', description: 'Idempotent; audited.' })
  @ApiOkResponse({ type: ApiKeyView })
  revokeMerchantApiKey(@Param('id') id: string, @Param('keyId') keyId: string, @Req() req: FastifyRequest) {
    return this.admin.revokeKey(id, keyId, actorOf(req));
  }
}

@ApiTags('Admin')
@ApiBearerAuth('admin')
@ApiCookieAuth('session')
@UseGuards(AdminGuard)
@Controller('admin')
export class AdminOperationsController {
  constructor(private readonly admin: AdminService) {}

  @Get('orders')
  @ApiOperation({
    summary: 'Search orders across merchants',
    description:
      'Newest first; filter by `merchant_id`, `status`, `provider`, `reference`; paginate with `limit` and `starting_after`. Each order carries its `merchant_id`.',
  })
  @ApiOkResponse({ type: OrderListResponse })
  adminListOrders(@Query() q: AdminListOrdersQuery) {
    return this.admin.searchOrders(q);
  }

  @Get('orders/:id')
  @ApiOperation({ summary: 'Retrieve any order' })
  @ApiOkResponse({ type: OrderResponse })
  adminGetOrder(@Param('id') id: string) {
    return this.admin.order(id);
  }

  @Post('transactions/:id/resolve')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Resolve a stuck transaction by hand',
    description:
      'PENDING → PAID (verification `manual`, paid amount = the order amount) or FAILED, with a required reason. ' +
      'Recorded in the audit log with the time and actor, and emits the normal order event (`order.paid` / `order.failed`) and webhooks. ' +
      '409 problem `transaction_final` when the order is no longer PENDING.',
  })
  @ApiParam({ name: 'id', example: 'txn_01jd0000000000000000000000' })
  @ApiOkResponse({ type: OrderResponse })
  @ApiResponse({ status: 409, description: 'Already final' })
  resolveTransaction(@Param('id') id: string, @Body() body: ResolveTransactionDto, @Req() req: FastifyRequest) {
    return this.admin.resolve(id, body.status, body.reason, actorOf(req));
  }

  @Get('audit-log')
  @ApiOperation({
    summary: 'The audit log, newest first',
    description: 'Manual resolutions, merchant disable/enable, key rotations and revocations: who, what, when and why.',
  })
  @ApiOkResponse({ type: AuditEntryList })
  listAuditLog(@Query() q: AuditLogQuery) {
    return this.admin.auditLog(q);
  }
}
