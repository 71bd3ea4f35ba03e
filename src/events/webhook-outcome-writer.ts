import { Logger } from '@nestjs/common';
import { ClaimedDelivery, DeliveryOutcome, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { BREAKER_FAILURES, breakerTallies } from './webhook-policy';

/** Most outcomes written per statement. */
const MAX_GROUP = 200;

/** A write of outcomes failed; logged once for the whole group by the writer. */
export class OutcomeWriteError extends Error {}

interface Queued {
  row: ClaimedDelivery;
  outcome: DeliveryOutcome;
  done: (held: boolean) => void;
  fail: (err: Error) => void;
}

/**
 * The dispatcher's bookkeeping, batched by group commit rather than by timer: a finished
 * delivery's outcome joins a queue; when no write is running the queue is written at once (one
 * statement updates every delivery and logs every attempt), and what finishes meanwhile waits
 * only for that write and goes in the next. A lone delivery is written as soon as it finishes;
 * under load the groups grow by themselves. After each group, one more statement updates the
 * breakers of its endpoints, only when one of them changes.
 */
export class WebhookOutcomeWriter {
  private readonly logger = new Logger('WebhookDispatcher');
  private queue: Queued[] = [];
  private writing = false;
  /** Endpoints whose breaker count this instance has raised and not yet seen reset: an answer from one of them resets it. */
  private readonly suspect = new Set<string>();

  constructor(
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly endpoints: WebhookEndpointsRepository,
    /** The dispatcher instance holding the claims: only its claims get their state written. */
    private readonly claimant: string,
    private readonly breakerCooldownMs: number,
  ) {}

  /**
   * Queues the outcome for the next group write; resolves once written, with whether the
   * claimant still held the claim (the state is written only then; the attempt is logged either
   * way). Rejects with OutcomeWriteError when the write failed (already logged).
   */
  record(row: ClaimedDelivery, outcome: DeliveryOutcome): Promise<boolean> {
    return new Promise((done, fail) => {
      this.queue.push({ row, outcome, done, fail });
      // After the current I/O phase, so the responses that arrived together are written together.
      if (!this.writing) {
        this.writing = true;
        setImmediate(() => void this.writeQueue());
      }
    });
  }

  /** Writes queued outcomes, a group per statement, until the queue is empty. */
  private async writeQueue(): Promise<void> {
    try {
      while (this.queue.length) {
        const group = this.queue.splice(0, MAX_GROUP);
        try {
          const held = await this.deliveries.recordOutcomes(
            this.claimant,
            group.map((q) => q.outcome),
          );
          await this.updateBreakers(group);
          for (const q of group) q.done(held.has(q.row.id));
        } catch (err) {
          this.logger.error(
            { err: (err as Error).message, deliveries: group.length },
            'webhook delivery bookkeeping failed; the claims will expire and be retried',
          );
          const failure = new OutcomeWriteError((err as Error).message);
          for (const q of group) q.fail(failure);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /**
   * The breakers of the group's endpoints, after its outcomes are written (a separate statement,
   * so it never holds delivery rows while it waits for endpoint locks).
   */
  private async updateBreakers(group: Queued[]): Promise<void> {
    const tallies = breakerTallies(
      group.map((q) => ({ endpointId: q.row.endpoint_id, failuresWhenClaimed: q.row.consecutive_failures, attempt: q.outcome.attempt })),
      this.suspect,
    );
    if (!tallies.length) return;
    try {
      const states = await this.endpoints.updateBreakers(tallies, BREAKER_FAILURES, this.breakerCooldownMs / 1000);
      for (const t of tallies) {
        if (t.answered) this.suspect.delete(t.endpointId);
        else this.suspect.add(t.endpointId);
      }
      for (const r of states) {
        // Opened by this group: the count crossed the threshold now, not before.
        if (r.paused_until && r.consecutive_failures - r.failed < BREAKER_FAILURES) {
          this.logger.warn({ endpoint: r.id, paused_until: new Date(r.paused_until).toISOString() }, 'webhook endpoint breaker open: it keeps not answering');
        }
      }
    } catch (err) {
      // The outcomes are written; a breaker count missed now is caught up by the next attempts.
      this.logger.warn({ err: (err as Error).message }, 'could not update webhook endpoint breakers');
    }
  }
}
