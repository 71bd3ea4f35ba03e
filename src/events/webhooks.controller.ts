import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBearerAuth,
  ApiCookieAuth,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import { PageQuery } from '../common/pagination';
import type { Scope } from '../common/scope';
import { AdminGuard, ApiKeyGuard, CurrentScope, MerchantRoles } from '../merchants/auth';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { DEFAULT_GRACE_SECONDS, WebhookEndpointsService } from './webhook-endpoints.service';
import {
  CreateWebhookEndpointDto,
  DeletedWebhookEndpointView,
  ListDeliveriesQuery,
  MerchantDeliveriesQuery,
  RotateSecretDto,
  WebhookDeliveryListView,
  WebhookDeliveryView,
  WebhookEndpointListView,
  WebhookEndpointView,
  WebhookEndpointWithSecretView,
} from './webhooks.dto';

const SIGNING =
  'Deliveries follow Standard Webhooks: headers `webhook-id` (the event id, stable across retries), `webhook-timestamp` and `webhook-signature` ' +
  '(`v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">`); body `{id, object, type, created_at, sequence, data: {order}}` as GET /v1/events/{id}. ' +
  'Verify with the `standardwebhooks` library and the endpoint secret. 2xx = delivered; otherwise retried after 5 s, 15 s, 1 min, 5 min, 30 min, 2 h, 5 h, ' +
  '10 h, 10 h, 14 h, 14 h (±20 % jitter; a Retry-After is honoured), then dead-lettered; 410 Gone disables the endpoint. Redirects are not followed.';

@ApiTags('Webhook endpoints')
@ApiBearerAuth('api_key')
@ApiCookieAuth('session')
@UseGuards(ApiKeyGuard)
@MerchantRoles('developer')
@Controller('v1/webhook-endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @ApiOperation({ summary: 'Subscribe a URL to events', description: `Returns the signing secret (\`whsec_…\`) once; it is never shown again. ${SIGNING}` })
  @ApiCreatedResponse({ type: WebhookEndpointWithSecretView })
  createWebhookEndpoint(@CurrentScope() scope: Scope, @Body() body: CreateWebhookEndpointDto) {
    return this.endpoints.create(scope, body);
  }

  @Get()
  @ApiOperation({ summary: "The merchant's webhook endpoints, newest first (secrets never included)" })
  @ApiOkResponse({ type: WebhookEndpointListView })
  listWebhookEndpoints(@CurrentScope() scope: Scope, @Query() page: PageQuery) {
    return this.endpoints.list(scope, page.limit ?? 20, page.starting_after);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Retrieve a webhook endpoint' })
  @ApiOkResponse({ type: WebhookEndpointView })
  getWebhookEndpoint(@CurrentScope() scope: Scope, @Param('id') id: string) {
    return this.endpoints.get(scope, id);
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Delete a webhook endpoint',
    description: 'Deliveries still waiting for it are dead-lettered; its history stays in the delivery log.',
  })
  @ApiOkResponse({ type: DeletedWebhookEndpointView })
  deleteWebhookEndpoint(@CurrentScope() scope: Scope, @Param('id') id: string) {
    return this.endpoints.delete(scope, id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rotate the signing secret',
    description:
      'Returns the new secret once. For `grace_period_seconds` (default 86400) every delivery is signed with both the new and the previous secret ' +
      '(two space-separated `v1,…` entries), so receivers can switch at their own pace.',
  })
  @ApiOkResponse({ type: WebhookEndpointWithSecretView })
  rotateWebhookEndpointSecret(@CurrentScope() scope: Scope, @Param('id') id: string, @Body() body: RotateSecretDto) {
    return this.endpoints.rotateSecret(scope, id, body?.grace_period_seconds ?? DEFAULT_GRACE_SECONDS);
  }
}

const REPLAY =
  'Re-queues it for an immediate attempt with the same webhook-id, whatever its state (dead ones included; a dead delivery gets one more attempt). 409 while an attempt is in flight or when the endpoint is disabled or deleted.';

@ApiTags('Webhook deliveries')
@ApiBearerAuth('api_key')
@ApiCookieAuth('session')
@UseGuards(ApiKeyGuard)
@MerchantRoles('developer')
@Controller('v1/webhook-deliveries')
export class MerchantWebhookDeliveriesController {
  constructor(private readonly deliveries: WebhookDeliveriesService) {}

  @Get()
  @ApiOperation({
    summary: 'The merchant’s webhook delivery log, newest first',
    description: 'Its own deliveries only. Filter by `status` (`failed`: retry scheduled; `dead`: retries exhausted), endpoint or event.',
  })
  @ApiOkResponse({ type: WebhookDeliveryListView })
  listWebhookDeliveries(@CurrentScope() scope: Scope, @Query() q: MerchantDeliveriesQuery) {
    return this.deliveries.list(q, scope);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One of the merchant’s deliveries with its attempt log' })
  @ApiParam({ name: 'id', example: 'whd_01jd0000000000000000000000' })
  @ApiOkResponse({ type: WebhookDeliveryView })
  @ApiResponse({ status: 404, description: 'No such delivery for this merchant (another merchant’s answers the same).' })
  getWebhookDelivery(@CurrentScope() scope: Scope, @Param('id') id: string) {
    return this.deliveries.get(id, scope);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Replay one of the merchant’s deliveries now', description: REPLAY })
  @ApiParam({ name: 'id', example: 'whd_01jd0000000000000000000000' })
  @ApiAcceptedResponse({ type: WebhookDeliveryView })
  @ApiResponse({ status: 404, description: 'No such delivery for this merchant.' })
  @ApiResponse({ status: 409, description: '`delivery_in_flight`, `endpoint_disabled` or `endpoint_deleted`.' })
  retryWebhookDelivery(@CurrentScope() scope: Scope, @Param('id') id: string) {
    return this.deliveries.retry(id, scope);
  }
}

@ApiTags('Admin')
@ApiBearerAuth('admin')
@ApiCookieAuth('session')
@UseGuards(AdminGuard)
@Controller('admin/webhook-deliveries')
export class AdminWebhookDeliveriesController {
  constructor(private readonly deliveries: WebhookDeliveriesService) {}

  @Get()
  @ApiOperation({
    summary: 'The webhook delivery log, newest first',
    description: 'Filter by `status` (e.g. `failed`: retry scheduled; `dead`: retries exhausted), merchant, endpoint or event.',
  })
  @ApiOkResponse({ type: WebhookDeliveryListView })
  adminListWebhookDeliveries(@Query() q: ListDeliveriesQuery) {
    return this.deliveries.list(q);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One delivery with its attempt log' })
  @ApiOkResponse({ type: WebhookDeliveryView })
  adminGetWebhookDelivery(@Param('id') id: string) {
    return this.deliveries.get(id);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({
    summary: 'Replay a delivery now',
    description: REPLAY,
  })
  @ApiAcceptedResponse({ type: WebhookDeliveryView })
  adminRetryWebhookDelivery(@Param('id') id: string) {
    return this.deliveries.retry(id);
  }
}
