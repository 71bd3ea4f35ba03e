import type { EventRow } from './events.repository';

/** The public shape of an event, identical to the body of its webhook delivery. */
export function presentEvent(row: EventRow) {
  return {
    id: row.id,
    object: 'event',
    type: row.type,
    livemode: row.livemode,
    created_at: new Date(row.created_at).toISOString(),
    sequence: row.sequence,
    data: row.data,
  };
}
