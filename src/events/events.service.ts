import { Injectable } from '@nestjs/common';
import type { Scope } from '../common/scope';
import { notFound } from '../common/problem';
import { presentEvent } from './event.presenter';
import { EventFilter, EventsRepository } from './events.repository';

/** The merchant's view of its events (GET /v1/events). */
@Injectable()
export class EventsService {
  constructor(private readonly events: EventsRepository) {}

  async list(scope: Scope, filter: EventFilter) {
    const rows = await this.events.listForMerchant(scope, filter);
    return { data: rows.slice(0, filter.limit).map(presentEvent), has_more: rows.length > filter.limit };
  }

  async get(scope: Scope, id: string) {
    const row = await this.events.findForMerchant(scope, id);
    if (!row) throw notFound('event');
    return presentEvent(row);
  }
}
