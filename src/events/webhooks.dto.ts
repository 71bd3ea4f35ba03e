import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { PageQuery } from '../common/pagination';
import { EVENT_TYPES } from './event-types';

export const ENDPOINT_EVENT_CHOICES = ['*', ...EVENT_TYPES] as const;
export const DELIVERY_STATUSES = ['pending', 'delivering', 'delivered', 'failed', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
/** Longest grace period a rotation may keep the previous secret signing. */
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

export class CreateWebhookEndpointDto {
  @ApiProperty({ example: 'https://shop.example.com/webhooks/khqr', description: 'Absolute http(s) URL; redirects are not followed.', maxLength: 2048 })
  @IsString()
  @MaxLength(2048)
  url: string;

  @ApiPropertyOptional({
    enum: ENDPOINT_EVENT_CHOICES,
    isArray: true,
    description: 'Event types to send; omitted or ["*"] for every type.',
    example: ['order.paid', 'order.flagged'],
  })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(ENDPOINT_EVENT_CHOICES.length)
  @ArrayUnique()
  @IsIn(ENDPOINT_EVENT_CHOICES, { each: true, message: `each value in events must be one of: ${ENDPOINT_EVENT_CHOICES.join(', ')}` })
  events?: string[];
}

export class RotateSecretDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: MAX_GRACE_SECONDS,
    default: 86400,
    description: 'How long the previous secret keeps signing beside the new one (seconds).',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_GRACE_SECONDS)
  grace_period_seconds?: number;
}

export class WebhookEndpointView {
  @ApiProperty({ example: 'we_01jd0000000000000000000000' }) id: string;
  @ApiProperty({ enum: ['webhook_endpoint'] }) object: 'webhook_endpoint';
  @ApiProperty({ description: 'The mode of the key that created it; it receives only events of that mode.', example: true }) livemode: boolean;
  @ApiProperty() url: string;
  @ApiProperty({ enum: ENDPOINT_EVENT_CHOICES, isArray: true }) events: string[];
  @ApiProperty({ enum: ['enabled', 'disabled'] }) status: string;
  @ApiProperty({ nullable: true, type: String, description: 'Why the endpoint was disabled (e.g. it answered 410 Gone).' }) disabled_reason: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time', description: 'Until when the previous secret still signs (after a rotation).' })
  previous_secret_expires_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export class WebhookEndpointWithSecretView extends WebhookEndpointView {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'The signing secret. Shown only in this response.' })
  secret: string;
}

export class WebhookEndpointListView {
  @ApiProperty({ type: [WebhookEndpointView] }) data: WebhookEndpointView[];
  @ApiProperty() has_more: boolean;
}

export class DeletedWebhookEndpointView {
  @ApiProperty() id: string;
  @ApiProperty({ enum: ['webhook_endpoint'] }) object: 'webhook_endpoint';
  @ApiProperty({ enum: [true] }) deleted: true;
}

/** The delivery log filters a merchant may use on its own deliveries. */
export class MerchantDeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({
    enum: DELIVERY_STATUSES,
    description: '`failed`: the last attempt failed and a retry is scheduled; `dead`: retries exhausted or the endpoint is gone.',
  })
  @IsOptional()
  @IsIn(DELIVERY_STATUSES)
  status?: DeliveryStatus;

  @ApiPropertyOptional({ example: 'we_01jd0000000000000000000000' })
  @IsOptional()
  @Matches(/^[a-z]{2,5}_[0-9a-z]{26}$/, { message: 'endpoint_id must be an id' })
  endpoint_id?: string;

  @ApiPropertyOptional({ example: 'evt_01jd0000000000000000000000' })
  @IsOptional()
  @Matches(/^[a-z]{2,5}_[0-9a-z]{26}$/, { message: 'event_id must be an id' })
  event_id?: string;
}

/** The operators' filters: a merchant's too. */
export class ListDeliveriesQuery extends MerchantDeliveriesQuery {
  @ApiPropertyOptional({ example: 'mer_01jd0000000000000000000000' })
  @IsOptional()
  @Matches(/^[a-z]{2,5}_[0-9a-z]{26}$/, { message: 'merchant_id must be an id' })
  merchant_id?: string;
}

export class WebhookAttemptView {
  @ApiProperty() attempt: number;
  @ApiProperty({ format: 'date-time' }) started_at: string;
  @ApiProperty({ nullable: true, type: Number, description: 'HTTP status, null when no answer came (timeout, refused, network).' }) status: number | null;
  @ApiProperty() latency_ms: number;
  @ApiProperty({ nullable: true, type: String, description: 'The first 512 characters of the answer.' }) response_snippet: string | null;
  @ApiProperty({ nullable: true, type: String }) error: string | null;
}

export class WebhookDeliveryView {
  @ApiProperty({ example: 'whd_01jd0000000000000000000000' }) id: string;
  @ApiProperty({ enum: ['webhook_delivery'] }) object: 'webhook_delivery';
  @ApiProperty() event_id: string;
  @ApiProperty() event_type: string;
  @ApiProperty() endpoint_id: string;
  @ApiProperty() merchant_id: string;
  @ApiProperty({ description: 'The mode of its event and endpoint (false: test mode).', example: true }) livemode: boolean;
  @ApiProperty() url: string;
  @ApiProperty({ enum: DELIVERY_STATUSES }) status: string;
  @ApiProperty() attempts: number;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) next_attempt_at: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) last_attempt_at: string | null;
  @ApiProperty({ nullable: true, type: Number }) last_status: number | null;
  @ApiProperty({ nullable: true, type: Number }) last_latency_ms: number | null;
  @ApiProperty({ nullable: true, type: String }) last_response: string | null;
  @ApiProperty({ nullable: true, type: String }) last_error: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) delivered_at: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiPropertyOptional({ type: [WebhookAttemptView], description: 'Only when retrieving one delivery: its attempts, oldest first.' })
  attempt_log?: WebhookAttemptView[];
}

export class WebhookDeliveryListView {
  @ApiProperty({ type: [WebhookDeliveryView] }) data: WebhookDeliveryView[];
  @ApiProperty() has_more: boolean;
}
