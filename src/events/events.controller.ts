import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { PageQuery } from '../common/pagination';
import type { Scope } from '../common/scope';
import { ApiKeyGuard, CurrentScope } from '../merchants/auth';
import { EVENT_TYPES } from './event-types';
import { EventsService } from './events.service';

export class ListEventsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @IsOptional()
  @IsIn(EVENT_TYPES)
  type?: string;

  @ApiPropertyOptional({
    description: "Only this order's events (an order of another merchant gives an empty list)",
    example: 'ord_01jd0000000000000000000000',
  })
  @IsOptional()
  @IsString()
  @MaxLength(64)
  order_id?: string;
}

export class EventView {
  @ApiProperty({ example: 'evt_01jd0000000000000000000000' }) id: string;
  @ApiProperty({ enum: ['event'] }) object: string;
  @ApiProperty({ enum: EVENT_TYPES }) type: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ description: 'Per order, increasing: receivers drop an event older than one they have.' }) sequence: number;
  @ApiProperty({ description: '`{order}` as it was after the change.', type: 'object', additionalProperties: true }) data: Record<string, unknown>;
}

export class EventListView {
  @ApiProperty({ type: [EventView] }) data: EventView[];
  @ApiProperty() has_more: boolean;
}

@ApiTags('Events')
@ApiBearerAuth('api_key')
@ApiCookieAuth('session')
@UseGuards(ApiKeyGuard)
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @ApiOperation({
    summary: "The merchant's events, newest first",
    description:
      'Each event carries the order as it was after the change, and a per-order `sequence` so receivers can drop stale ones. ' +
      "Filter by `type` and by `order_id` (one order's history, e.g. for a timeline).",
  })
  @ApiOkResponse({ type: EventListView })
  listEvents(@CurrentScope() scope: Scope, @Query() q: ListEventsQuery) {
    return this.events.list(scope, { type: q.type, orderId: q.order_id, startingAfter: q.starting_after, limit: q.limit ?? 20 });
  }

  @Get(':id')
  @ApiOperation({ summary: 'Retrieve an event' })
  @ApiOkResponse({ type: EventView })
  getEvent(@CurrentScope() scope: Scope, @Param('id') id: string) {
    return this.events.get(scope, id);
  }
}
