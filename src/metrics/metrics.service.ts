import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ProviderAccountsRepository } from '../merchants/provider-accounts.repository';
import type { QueryRunner } from 'typeorm';
import { OutboundHttp } from '../common/http/outbound-http';
import { TransactionListener, TransactionListeners } from '../database/transaction-listeners';
import { OutboxWriter } from '../events/outbox.writer';
import { WebhookDeliveriesRepository } from '../events/webhook-deliveries.repository';
import { TransactionsRepository } from '../orders/transactions.repository';
import { ProviderCallObservation, observeProviderCalls } from '../providers/provider-errors';
import { registerCredentialExpiryGauge } from './credential-expiry.gauge';

/** What the scrape-time SQL reads. */
interface DatabaseSnapshot {
  pendingByProvider: { provider: string; count: number }[];
  oldestDueSeconds: number;
  webhooks: { due: number; scheduled: number; lagSeconds: number } | null;
}

const SNAPSHOT_TIMEOUT_MS = 2_000;

type OrderEventCount = { type: string; provider: string; currency: string; status: string; flags: string[] };

/**
 * Prometheus metrics for the orchestrator. Counters and histograms are fed by the code paths
 * that do the work (HTTP hook, provider calls, outbox events after commit, and the public
 * methods here that the sweeper, the webhook dispatcher and SMM fulfillment call); gauges
 * are read from PostgreSQL at scrape time, so every instance reports the shared truth.
 */
@Injectable()
export class MetricsService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(MetricsService.name);

  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly ordersCreated: Counter<'provider' | 'currency'>;
  readonly orderTransitions: Counter<'provider' | 'status'>;
  readonly orderFlags: Counter<'provider' | 'flag'>;
  readonly providerCallDuration: Histogram<'provider' | 'outcome'>;
  readonly providerCallErrors: Counter<'provider' | 'kind'>;
  readonly sweepDuration: Histogram<'trigger'>;
  readonly webhookDeliveries: Counter<'outcome'>;
  readonly smmCredits: Counter<'outcome'>;
  readonly refunds: Counter<'provider' | 'status'>;
  readonly scrapeErrors: Counter<'source'>;

  private snapshot: Promise<DatabaseSnapshot> | null = null;
  /** Order events written inside a still-open database transaction, counted once it commits. */
  private readonly uncommitted = new WeakMap<QueryRunner, OrderEventCount[]>();
  private readonly listener: TransactionListener;
  private stopListening: (() => void) | null = null;

  constructor(
    readonly registry: Registry,
    private readonly deliveries: WebhookDeliveriesRepository,
    private readonly outbox: OutboxWriter,
    private readonly http: OutboundHttp,
    private readonly transactions: TransactionsRepository,
    private readonly transactionListeners: TransactionListeners,
    accounts: ProviderAccountsRepository,
  ) {
    const r = [registry];
    collectDefaultMetrics({ register: registry });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route pattern (not the raw URL) and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    });
    this.ordersCreated = new Counter({
      name: 'khqr_orders_created_total',
      help: 'Orders created, by provider and currency.',
      labelNames: ['provider', 'currency'],
      registers: r,
    });
    this.orderTransitions = new Counter({
      name: 'khqr_order_transitions_total',
      help: 'Order status changes after commit, by provider and the status reached (PAID, EXPIRED, CANCELLED, FAILED).',
      labelNames: ['provider', 'status'],
      registers: r,
    });
    this.orderFlags = new Counter({
      name: 'khqr_order_flags_total',
      help: 'Flags raised on orders (order.flagged), by provider and flag.',
      labelNames: ['provider', 'flag'],
      registers: r,
    });
    this.providerCallDuration = new Histogram({
      name: 'khqr_provider_call_duration_seconds',
      help: 'Gateway API call latency, by provider and outcome (ok, timeout, unavailable, rate_limited).',
      labelNames: ['provider', 'outcome'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: r,
    });
    this.providerCallErrors = new Counter({
      name: 'khqr_provider_call_errors_total',
      help: 'Gateway API calls that failed, by provider and kind.',
      labelNames: ['provider', 'kind'],
      registers: r,
    });
    this.sweepDuration = new Histogram({
      name: 'khqr_reconciliation_sweep_duration_seconds',
      help: 'Duration of reconciliation sweeps, by trigger (cron, manual).',
      labelNames: ['trigger'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: r,
    });
    this.webhookDeliveries = new Counter({
      name: 'khqr_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered; failed = will retry; dead = retries exhausted, or the endpoint is disabled or answered 410).',
      labelNames: ['outcome'],
      registers: r,
    });
    this.smmCredits = new Counter({
      name: 'khqr_smm_credits_total',
      help: 'SMM panel balance credit attempts by outcome (done, retrying, failed, lost = another worker took the claim over).',
      labelNames: ['outcome'],
      registers: r,
    });
    this.refunds = new Counter({
      name: 'khqr_refunds_total',
      help: 'Refunds reaching a status after commit, by provider: PENDING (asked of the gateway), SUCCEEDED (manual ones included), FAILED.',
      labelNames: ['provider', 'status'],
      registers: r,
    });
    this.scrapeErrors = new Counter({
      name: 'khqr_metrics_scrape_errors_total',
      help: 'Scrape-time database reads that failed (the gauges then keep their last value).',
      labelNames: ['source'],
      registers: r,
    });

    // Gauges read at scrape time. `this` inside collect() is the gauge, hence the arrow functions.
    const read = () => this.readSnapshot();
    new Gauge({
      name: 'khqr_pending_transactions',
      help: 'PENDING transactions, by provider.',
      labelNames: ['provider'],
      registers: r,
      async collect() {
        const snap = await read();
        if (!snap) return;
        this.reset();
        for (const row of snap.pendingByProvider) this.set({ provider: row.provider }, row.count);
      },
    });
    new Gauge({
      name: 'khqr_oldest_due_pending_transaction_age_seconds',
      help: 'Seconds since the most overdue PENDING transaction became due for a check (0 when none is due). Grows when reconciliation falls behind.',
      registers: r,
      async collect() {
        const snap = await read();
        if (snap) this.set(snap.oldestDueSeconds);
      },
    });
    new Gauge({
      name: 'khqr_webhook_backlog',
      help: 'Webhook deliveries not yet delivered: state="due" (should go out now) and state="scheduled" (waiting for a retry).',
      labelNames: ['state'],
      registers: r,
      async collect() {
        const snap = await read();
        if (!snap?.webhooks) return;
        this.set({ state: 'due' }, snap.webhooks.due);
        this.set({ state: 'scheduled' }, snap.webhooks.scheduled);
      },
    });
    new Gauge({
      name: 'khqr_webhook_delivery_lag_seconds',
      help: 'How long the oldest due webhook delivery has been waiting past its attempt time (0 when none is due).',
      registers: r,
      async collect() {
        const snap = await read();
        if (snap?.webhooks) this.set(snap.webhooks.lagSeconds);
      },
    });

    registerCredentialExpiryGauge(registry, accounts, () => this.scrapeErrors);

    this.listener = {
      // A commit of a savepoint leaves the outer transaction open: count only at the real COMMIT.
      afterCommit: (event) => {
        if (!event.queryRunner.isTransactionActive) this.flush(event.queryRunner, true);
      },
      afterRollback: (event) => {
        if (!event.queryRunner.isTransactionActive) this.flush(event.queryRunner, false);
      },
    };
  }

  onModuleInit(): void {
    observeProviderCalls(this.http, (o) => this.observeProviderCall(o));
    this.stopListening = this.transactionListeners.add(this.listener);
    this.outbox.onAppend(async (manager, event) => {
      const order = (event.data as { order?: { provider?: string; currency?: string; status?: string } }).order ?? {};
      const entry: OrderEventCount = {
        type: event.type,
        provider: order.provider ?? 'unknown',
        currency: order.currency ?? 'unknown',
        // A refund event counts its refund's status; an order event its order's.
        status: (event.data.refund as { status?: string } | undefined)?.status ?? order.status ?? 'unknown',
        flags: Array.isArray(event.data.flags_added) ? (event.data.flags_added as string[]) : [],
      };
      const runner = manager.queryRunner;
      if (!runner?.isTransactionActive) return this.countOrderEvent(entry);
      const list = this.uncommitted.get(runner) ?? [];
      list.push(entry);
      this.uncommitted.set(runner, list);
    });
  }

  onModuleDestroy(): void {
    observeProviderCalls(this.http, null);
    this.stopListening?.();
    this.stopListening = null;
  }

  /** The Prometheus text exposition of this instance's registry. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, seconds);
  }

  /** The HTTP histogram's series for these labels, to observe into directly (the per-request hook keeps them). */
  httpSeries(method: string, route: string, status: number): Histogram.Internal<'method' | 'route' | 'status'> {
    return this.httpDuration.labels({ method, route, status: String(status) });
  }

  observeProviderCall(o: ProviderCallObservation): void {
    this.providerCallDuration.observe({ provider: o.provider, outcome: o.outcome }, o.durationMs / 1000);
    if (o.outcome !== 'ok') this.providerCallErrors.inc({ provider: o.provider, kind: o.outcome });
  }

  /** For the reconciliation sweeper: one finished sweep. */
  observeSweep(trigger: string, seconds: number): void {
    this.sweepDuration.observe({ trigger }, seconds);
  }

  /** For the webhook dispatcher: one delivery attempt's outcome. */
  countDelivery(outcome: 'delivered' | 'failed' | 'dead' | string): void {
    this.webhookDeliveries.inc({ outcome });
  }

  /** For SMM fulfillment: one balance credit attempt's outcome. */
  countSmmCredit(outcome: 'done' | 'retrying' | 'failed' | 'lost' | string): void {
    this.smmCredits.inc({ outcome });
  }

  private flush(runner: QueryRunner, committed: boolean): void {
    const list = this.uncommitted.get(runner);
    if (!list) return;
    this.uncommitted.delete(runner);
    if (committed) for (const entry of list) this.countOrderEvent(entry);
  }

  private countOrderEvent(e: OrderEventCount): void {
    if (e.type.startsWith('refund.')) {
      // A manual refund is created SUCCEEDED: counted once, by its refund.succeeded.
      if (e.type !== 'refund.created' || e.status === 'PENDING') this.refunds.inc({ provider: e.provider, status: e.status });
    } else if (e.type === 'order.created') this.ordersCreated.inc({ provider: e.provider, currency: e.currency });
    else if (e.type === 'order.flagged') for (const flag of e.flags.length ? e.flags : ['unknown']) this.orderFlags.inc({ provider: e.provider, flag });
    else this.orderTransitions.inc({ provider: e.provider, status: e.status });
  }

  /** One database read per scrape: the gauges' collect() calls run concurrently and share the read in flight. */
  private readSnapshot(): Promise<DatabaseSnapshot | null> {
    if (!this.snapshot) {
      const value = this.querySnapshot();
      this.snapshot = value;
      void value.then(
        () => (this.snapshot = null),
        () => (this.snapshot = null),
      );
    }
    return this.snapshot.catch((err: unknown) => {
      this.logger.warn(`metrics: database gauges unavailable: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    });
  }

  /** A failed backlog read leaves the webhook gauges absent; the other gauges still report. */
  private async queryWebhookBacklog(): Promise<DatabaseSnapshot['webhooks']> {
    try {
      return await this.deliveries.backlog();
    } catch (err) {
      this.scrapeErrors.inc({ source: 'webhook_deliveries' });
      this.logger.warn(`metrics: webhook backlog unavailable: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  }

  private async querySnapshot(): Promise<DatabaseSnapshot> {
    const work = (async (): Promise<DatabaseSnapshot> => {
      const [pendingByProvider, oldestDueSeconds, webhooks] = await Promise.all([
        this.transactions.countPendingByProvider(),
        this.transactions.oldestDueCheckAgeSeconds(),
        this.queryWebhookBacklog(),
      ]);
      return { pendingByProvider, oldestDueSeconds, webhooks };
    })();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${SNAPSHOT_TIMEOUT_MS} ms`)), SNAPSHOT_TIMEOUT_MS);
    });
    try {
      return await Promise.race([work, timeout]);
    } catch (err) {
      this.scrapeErrors.inc({ source: 'database' });
      work.catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}
