import { Injectable, Logger, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { BackgroundLoops } from '../common/background-loops';
import { OutboundHttp } from '../common/http/outbound-http';
import { MetricsService } from '../metrics/metrics.service';
import { OrderTransitions } from '../orders/order-transitions.service';
import { FLAGS } from '../orders/state-machine';
import { PanelClient } from './panel-client';
import type { CreditOutcome } from './panels.transformers';
import { CreditRow, SmmCreditsRepository } from './smm-credits.repository';
import { SmmPanelSettings, SmmPanelsService } from './smm-panels.service';

/** Wait after the n-th failed attempt (index n-1); the attempt after the last one is final. */
export const CREDIT_BACKOFF_SECONDS = [5, 30, 120, 600, 1800];
export const MAX_CREDIT_ATTEMPTS = CREDIT_BACKOFF_SECONDS.length + 1;
export const FULFILLMENT_INTERVAL_MS = 2_000;
export const FULFILLMENT_BATCH = 10;
export const HEARTBEAT_NAME = 'fulfillment-worker';

export interface FulfillmentRun {
  claimed: number;
  done: number;
  retrying: number;
  failed: number;
}

type Result = 'done' | 'retrying' | 'failed' | 'lost';

/**
 * Credits SMM panel users for paid top-up orders, exactly once. Rows are claimed with
 * FOR UPDATE SKIP LOCKED and a lease (safe with several instances); `attempts` doubles as a
 * fencing token so a worker that lost its lease cannot overwrite a newer attempt's record.
 */
@Injectable()
export class FulfillmentWorker implements OnApplicationBootstrap {
  private readonly logger = new Logger(FulfillmentWorker.name);

  constructor(
    private readonly credits: SmmCreditsRepository,
    private readonly panels: SmmPanelsService,
    private readonly client: PanelClient,
    private readonly transitions: OrderTransitions,
    private readonly loops: BackgroundLoops,
    private readonly http: OutboundHttp,
    @Optional() private readonly metrics?: MetricsService,
  ) {}

  /** Every FULFILLMENT_INTERVAL_MS after the previous pass ends (BackgroundLoops: heartbeat, shutdown). */
  onApplicationBootstrap(): void {
    this.loops.add({
      name: HEARTBEAT_NAME,
      intervalMs: FULFILLMENT_INTERVAL_MS,
      // A failed pass is logged and still beats: the loop itself is alive.
      run: () => this.runOnce().catch((err: unknown) => this.logger.error({ err: (err as Error)?.message }, 'fulfillment run failed')),
    });
  }

  /** Lease on a claimed row: longer than two panel calls (a look-up and a credit) can take. */
  private leaseSeconds(): number {
    return Math.ceil((this.http.providerTimeoutMs * 3) / 1000) + 30;
  }

  /** One pass: claim due credits and work them. Also what tests call instead of the loop. */
  async runOnce(): Promise<FulfillmentRun> {
    const claimed = await this.credits.claimDue(FULFILLMENT_BATCH, this.leaseSeconds());
    const run: FulfillmentRun = { claimed: claimed.length, done: 0, retrying: 0, failed: 0 };
    const results = await Promise.all(
      claimed.map((row) =>
        this.work(row).catch(async (err: unknown) => {
          this.logger.error({ orderId: row.order_id, err: (err as Error)?.message }, 'credit attempt crashed');
          return this.retry(row, `internal error: ${(err as Error)?.message ?? String(err)}`, 'unknown');
        }),
      ),
    );
    for (const r of results) {
      this.metrics?.countSmmCredit(r);
      if (r !== 'lost') run[r]++;
    }
    return run;
  }

  private async work(row: CreditRow): Promise<Result> {
    const panel = await this.panels.get(row.merchant_id);
    if (!panel) return this.fail(row, 'the merchant has no SMM panel configured (PUT /v1/smm-panel)');
    const request = { orderId: row.order_id, username: row.username, amount: row.amount };

    // A previous call may have credited the user: ask the panel before calling again.
    if (row.last_outcome === 'unknown') {
      if (!PanelClient.canLookUp(panel.type)) {
        return this.fail(
          row,
          `${panel.type} has no payment look-up, so whether the previous call credited ${row.username} cannot be checked; ` +
            `check the balance in the panel, then resolve or retry this credit (${row.last_error ?? 'outcome unknown'})`,
        );
      }
      try {
        const found = await this.client.lookUp(panel, request);
        if (found.kind === 'found') return this.done(row, panel, found.paymentId);
      } catch (err) {
        return this.retry(row, `look-up before retry failed: ${(err as Error).message}`, 'unknown');
      }
    }
    if (row.attempts > MAX_CREDIT_ATTEMPTS) return this.fail(row, `gave up after ${MAX_CREDIT_ATTEMPTS} attempts: ${row.last_error ?? 'no answer'}`);

    // Write-ahead: from here until a definite answer the credit may have happened.
    if (!(await this.credits.markCallStarted(row, panel.type))) return 'lost';
    let outcome: CreditOutcome;
    try {
      outcome = await this.client.credit(panel, request);
    } catch (err) {
      outcome = { kind: 'unknown', message: `error: ${(err as Error)?.message ?? String(err)}` };
    }
    if (outcome.kind === 'credited') return this.done(row, panel, outcome.paymentId);
    if (outcome.kind === 'unknown' && !PanelClient.canLookUp(panel.type)) {
      return this.fail(
        row,
        `${panel.type} gave no definite answer (${outcome.message}) and has no payment look-up; check the balance in the panel, then resolve or retry this credit`,
      );
    }
    return this.retry(row, outcome.message, outcome.kind);
  }

  private async done(row: CreditRow, panel: SmmPanelSettings, paymentId: string | null): Promise<Result> {
    const ok = await this.credits.markDone(row, panel.type, paymentId);
    if (ok) this.logger.log({ orderId: row.order_id, panel: panel.type, paymentId }, 'panel balance credited');
    return ok ? 'done' : 'lost';
  }

  private async retry(row: CreditRow, message: string, outcome: 'rejected' | 'unknown'): Promise<Result> {
    if (row.attempts >= MAX_CREDIT_ATTEMPTS) return this.fail(row, `gave up after ${row.attempts} attempts: ${message}`);
    const wait = CREDIT_BACKOFF_SECONDS[Math.min(row.attempts, CREDIT_BACKOFF_SECONDS.length) - 1];
    const ok = await this.credits.scheduleRetry(row, outcome, message.slice(0, 500), wait);
    return ok ? 'retrying' : 'lost';
  }

  /** Final: the row turns failed and the order gets flag fulfillment_failed (event order.flagged), in one transaction. */
  private async fail(row: CreditRow, reason: string): Promise<Result> {
    const failed = await this.credits.inTransaction(async (manager) => {
      if (!(await this.credits.markFailed(manager, row, reason.slice(0, 500)))) return false;
      for (let i = 0; i < 5; i++) {
        const applied = await this.transitions.tryApply(
          manager,
          row.order_id,
          { kind: 'flag', flag: FLAGS.fulfillmentFailed, reason: reason.slice(0, 500) },
          { actor: 'fulfillment', reason: reason.slice(0, 500) },
        );
        if (applied) return true;
      }
      throw new Error('the order changed repeatedly while being flagged');
    });
    if (failed) this.logger.warn({ orderId: row.order_id, reason }, 'panel credit failed');
    return failed ? 'failed' : 'lost';
  }
}
