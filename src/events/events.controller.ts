import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQuery } from '../common/pagination';
import { ApiKeyGuard, AuthedMerchant, CurrentMerchant } from '../merchants/auth';
import { EVENT_TYPES } from './event-types';
import { EventsService } from './events.service';

export class ListEventsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @IsOptional()
  @IsIn(EVENT_TYPES)
  type?: string;
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
    description: 'Each event carries the order as it was after the change, and a per-order `sequence` so receivers can drop stale ones.',
  })
  list(@CurrentMerchant() merchant: AuthedMerchant, @Query() q: ListEventsQuery) {
    return this.events.list(merchant.id, { type: q.type, startingAfter: q.starting_after, limit: q.limit ?? 20 });
  }

  @Get(':id')
  @ApiOperation({ summary: 'Retrieve an event' })
  get(@CurrentMerchant() merchant: AuthedMerchant, @Param('id') id: string) {
    return this.events.get(merchant.id, id);
  }
}
