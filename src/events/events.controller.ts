import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { DataSource } from 'typeorm';
import { PageQuery } from '../common/pagination';
import { notFound } from '../common/problem';
import { ApiKeyGuard, AuthedMerchant, CurrentMerchant } from '../merchants/auth';
import { EVENT_TYPES } from '../orders/state-machine';

export class ListEventsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: EVENT_TYPES })
  @IsOptional()
  @IsIn(EVENT_TYPES)
  type?: string;
}

interface EventRow {
  id: string;
  type: string;
  order_id: string;
  sequence: number;
  data: Record<string, unknown>;
  created_at: Date;
}

/** The public shape of an event, identical to the body of its webhook delivery. */
export function presentEvent(row: EventRow) {
  return { id: row.id, object: 'event', type: row.type, created_at: new Date(row.created_at).toISOString(), sequence: row.sequence, data: row.data };
}

@ApiTags('Events')
@ApiBearerAuth('api_key')
@UseGuards(ApiKeyGuard)
@Controller('v1/events')
export class EventsController {
  constructor(private readonly db: DataSource) {}

  @Get()
  @ApiOperation({ summary: "The merchant's events, newest first", description: 'Each event carries the order as it was after the change, and a per-order `sequence` so receivers can drop stale ones.' })
  async list(@CurrentMerchant() merchant: AuthedMerchant, @Query() q: ListEventsQuery) {
    const limit = q.limit ?? 20;
    const params: unknown[] = [merchant.id, limit + 1];
    let where = 'merchant_id = $1';
    if (q.type) {
      params.push(q.type);
      where += ` AND type = $${params.length}`;
    }
    if (q.starting_after) {
      params.push(q.starting_after);
      where += ` AND id < $${params.length}`;
    }
    const rows: EventRow[] = await this.db.query(`SELECT id, type, order_id, sequence, data, created_at FROM events WHERE ${where} ORDER BY id DESC LIMIT $2`, params);
    return { data: rows.slice(0, limit).map(presentEvent), has_more: rows.length > limit };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Retrieve an event' })
  async get(@CurrentMerchant() merchant: AuthedMerchant, @Param('id') id: string) {
    const rows: EventRow[] = await this.db.query(`SELECT id, type, order_id, sequence, data, created_at FROM events WHERE id = $1 AND merchant_id = $2`, [id, merchant.id]);
    if (!rows[0]) throw notFound('event');
    return presentEvent(rows[0]);
  }
}
