import { OutboundError, OutboundHttp } from '../common/http/outbound-http';
import { presentEvent } from './event.presenter';
import type { AttemptRecord, ClaimedDelivery } from './webhook-deliveries.repository';
import { parseRetryAfter, RESPONSE_SNIPPET_CHARS, webhookHeaders } from './webhook-policy';

/** One attempt's result: what the attempt log keeps, and the receiver's Retry-After. */
export interface AttemptResult extends AttemptRecord {
  retryAfterMs: number | null;
}

/**
 * One attempt to deliver a claimed row: the event's body as the API presents it, signed with
 * `secrets(at)` (the endpoint's signing secrets at the attempt's time), POSTed with a deadline.
 * Never throws: no answer is a result with a null status.
 */
export async function attemptDelivery(http: OutboundHttp, row: ClaimedDelivery, secrets: (at: Date) => string[], timeoutMs: number): Promise<AttemptResult> {
  const startedAt = new Date();
  const body = JSON.stringify(
    presentEvent({
      id: row.event_id,
      type: row.type,
      livemode: row.livemode,
      order_id: row.order_id,
      sequence: row.sequence,
      data: row.data,
      created_at: row.event_created_at,
    }),
  );
  const headers = webhookHeaders(row.event_id, startedAt, body, secrets(startedAt));
  const t0 = performance.now();
  try {
    const res = await http.send({
      method: 'POST',
      url: row.url,
      headers,
      body,
      timeoutMs: timeoutMs,
      maxBodyBytes: RESPONSE_SNIPPET_CHARS * 4,
    });
    const ok = res.status >= 200 && res.status < 300;
    return {
      startedAt,
      status: res.status,
      latencyMs: Math.round(res.durationMs),
      snippet: res.body ? res.body.slice(0, RESPONSE_SNIPPET_CHARS) : null,
      error: ok ? null : res.status >= 300 && res.status < 400 ? `HTTP ${res.status} (redirects are not followed)` : `HTTP ${res.status}`,
      retryAfterMs: parseRetryAfter(res.headers['retry-after'], Date.now()),
    };
  } catch (err) {
    const message = err instanceof OutboundError ? `${err.kind}: ${err.message}` : `error: ${(err as Error).message}`;
    return { startedAt, status: null, latencyMs: Math.round(performance.now() - t0), snippet: null, error: message.slice(0, 500), retryAfterMs: null };
  }
}
