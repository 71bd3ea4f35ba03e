import { Logger } from '@nestjs/common';
import { ClaimedDelivery, ClaimRequest, DeliveryOutcome, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { BREAKER_FAILURES, BreakerTally, breakerTallies } from './webhook-policy';

/** Most outcomes written per statement. */
const MAX_GROUP = 200;

/** A write of outcomes failed; logged once for the whole group by the writer. */
export class OutcomeWriteError extends Error {}

/** A recorded outcome: whether the claimant still held the claim, and whether its group's statement also claimed. */
export interface Written {
  held: boolean;
  claimed: boolean;
}

/**
 * The claim a group write makes in its own statement (the dispatcher's loop is running). `request`
 * reserves the slots it asks for, or returns null (nothing to claim now); `settle` hands over the
 * rows claimed (none when the statement failed) and releases the reservation.
 */
export interface ClaimOnWrite {
  request(groupSize: number): ClaimRequest | null;
  settle(request: ClaimRequest, rows: ClaimedDelivery[]): void;
}

interface Queued {
  row: ClaimedDelivery;
  outcome: DeliveryOutcome;
  done: (written: Written) => void;
  fail: (err: Error) => void;
}

/**
 * The dispatcher's bookkeeping, batched by group commit rather than by timer: a finished
 * delivery's outcome joins a queue; when no write is running the queue is written at once (one
 * statement updates every delivery and logs every attempt), and what finishes meanwhile waits
 * only for that write and goes in the next. A lone delivery is written as soon as it finishes;
 * under load the groups grow by themselves. The same statement claims the slots the group frees
 * (ClaimOnWrite), unless a breaker changes: then one more statement updates the breakers of its
 * endpoints first, and the dispatcher's loop claims after it.
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
    private readonly claims?: ClaimOnWrite,
  ) {}

  /**
   * Queues the outcome for the next group write; resolves once written, with whether the
   * claimant still held the claim (the state is written only then; the attempt is logged either
   * way) and whether the write claimed the freed slots. Rejects with OutcomeWriteError when the write failed (already logged).
   */
  record(row: ClaimedDelivery, outcome: DeliveryOutcome): Promise<Written> {
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
        const outcomes = group.map((q) => q.outcome);
        const tallies = this.tallies(group);
        // A breaker about to change must be written before its endpoint is claimed again.
        const claim = tallies.length ? null : (this.claims?.request(group.length) ?? null);
        try {
          let held: Set<string>;
          if (claim) {
            let claimed: ClaimedDelivery[] = [];
            try {
              ({ held, claimed } = await this.deliveries.recordOutcomesAndClaim(this.claimant, outcomes, claim));
            } finally {
              this.claims?.settle(claim, claimed);
            }
          } else {
            held = await this.deliveries.recordOutcomes(this.claimant, outcomes);
            await this.updateBreakers(tallies);
          }
          for (const q of group) q.done({ held: held.has(q.row.id), claimed: claim !== null });
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

  /** The breaker changes the group calls for (none while every endpoint answers). */
  private tallies(group: Queued[]): BreakerTally[] {
    return breakerTallies(
      group.map((q) => ({ endpointId: q.row.endpoint_id, failuresWhenClaimed: q.row.consecutive_failures, attempt: q.outcome.attempt })),
      this.suspect,
    );
  }

  /**
   * The breakers of the group's endpoints, after its outcomes are written (a separate statement,
   * so it never holds delivery rows while it waits for endpoint locks).
   */
  private async updateBreakers(tallies: BreakerTally[]): Promise<void> {
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
