import { Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { BackgroundLoops } from '../common/background-loops';
import { OutboundError, OutboundHttp, OutboundResponse } from '../common/http/outbound-http';
import { AppConfig } from '../config/config';
import { PgListener, PgListeners } from '../database/pg-listener';
import { ClaimedDelivery, ClaimRequest, DeliveryOutcome, WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { DISPATCHER_LOOP, WebhookDispatcher } from './webhook-dispatcher.service';
import type { BackgroundLoop } from '../common/background-loops';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { BREAKER_FAILURES, newWebhookSecret } from './webhook-policy';

/**
 * The dispatcher's decisions against mocked repositories and HTTP: which outcome each answer
 * gets (delivered, retried, dead-lettered, endpoint disabled) and what the breaker is told.
 * The SQL itself is covered by the database-backed specs in test/webhooks*.e2e-spec.ts.
 */

const SCHEDULE = [5_000, 15_000];
const COOLDOWN_MS = 30_000;
const manager = {} as EntityManager;

function claimed(overrides: Partial<ClaimedDelivery> = {}): ClaimedDelivery {
  return {
    id: 'whd_1',
    attempts: 0,
    endpoint_id: 'we_1',
    event_id: 'evt_1',
    type: 'order.paid',
    livemode: true,
    sequence: 1,
    data: { order: { id: 'ord_1' } },
    event_created_at: new Date('2025-01-01T00:00:00Z'),
    order_id: 'ord_1',
    url: 'https://merchant.example/hooks',
    secret_sealed: 'sealed',
    previous_secret_sealed: null,
    previous_secret_expires_at: null,
    endpoint_status: 'enabled',
    endpoint_deleted_at: null,
    consecutive_failures: 0,
    ...overrides,
  };
}

const answer = (status: number, headers: OutboundResponse['headers'] = {}): OutboundResponse => ({ status, headers, body: 'ok', durationMs: 12 });

function setup(rows: ClaimedDelivery[], send: (url: string) => Promise<OutboundResponse>, more: { config?: Partial<AppConfig>; loops?: BackgroundLoops } = {}) {
  const deliveries = {
    claimDue: jest.fn(async (_claim: ClaimRequest) => rows),
    recordOutcomes: jest.fn(async (_claimant: string, outcomes: DeliveryOutcome[]) => new Set(outcomes.map((o) => o.id))),
    recordOutcomesAndClaim: jest.fn(async (_claimant: string, outcomes: DeliveryOutcome[], _claim: ClaimRequest) => ({
      held: new Set(outcomes.map((o) => o.id)),
      claimed: [] as ClaimedDelivery[],
    })),
    releaseClaims: jest.fn(async () => undefined),
    deadLetterWaiting: jest.fn(async () => undefined),
  };
  const endpointRows = {
    updateBreakers: jest.fn(async () => []),
    disable: jest.fn(async () => undefined),
    inTransaction: jest.fn(<T>(work: (m: EntityManager) => Promise<T>) => work(manager)),
  };
  const http = { send: jest.fn((req: { url: string }) => send(req.url)) };
  const secret = newWebhookSecret();
  const endpoints = { signingSecrets: () => [secret] };
  const listener = { start: () => undefined, stop: async () => undefined, listening: false };
  let onNotify = () => undefined as void;
  const listeners = {
    create: (opts: { onNotify: () => void }) => {
      onNotify = opts.onNotify;
      return listener as unknown as PgListener;
    },
  };
  const config = {
    webhookRetryScheduleMs: SCHEDULE,
    webhookTimeoutMs: 15_000,
    webhookConcurrency: 32,
    webhookEndpointConcurrency: 16,
    webhookBreakerCooldownMs: COOLDOWN_MS,
    ...more.config,
  } as AppConfig;
  const dispatcher = new WebhookDispatcher(
    listeners as unknown as PgListeners,
    deliveries as unknown as WebhookDeliveriesRepository,
    endpointRows as unknown as WebhookEndpointsRepository,
    http as unknown as OutboundHttp,
    endpoints as unknown as WebhookEndpointsService,
    config,
    more.loops ?? ({ add: () => false, stop: async () => undefined } as unknown as BackgroundLoops),
  );
  /** Every outcome written, in order. */
  const written = () => deliveries.recordOutcomes.mock.calls.flatMap(([, outcomes]) => outcomes);
  return { dispatcher, deliveries, endpointRows, http, written, notify: () => onNotify() };
}

/** A BackgroundLoops stand-in: runs the loop at once, stops it on request. */
function runningLoops(): BackgroundLoops {
  let loop: { entry: BackgroundLoop; running: Promise<unknown> } | null = null;
  return {
    add: (entry: BackgroundLoop) => ((loop = { entry, running: entry.run(() => undefined) }), true),
    stop: async (name: string) => {
      expect(name).toBe(DISPATCHER_LOOP);
      loop?.entry.stop?.();
      await loop?.running;
    },
  } as unknown as BackgroundLoops;
}

const until = async (done: () => boolean) => {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
};

describe('WebhookDispatcher policy (mocked repositories)', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterAll(() => jest.restoreAllMocks());

  it('claims fairly for this instance: at most WEBHOOK_CONCURRENCY rows, the lease past the deadline, half the slots per merchant', async () => {
    const { dispatcher, deliveries } = setup([], async () => answer(200));
    expect(await dispatcher.runOnce(100)).toBe(0);
    expect(deliveries.claimDue).toHaveBeenCalledWith({
      claimant: dispatcher.instanceId,
      limit: 32,
      leaseSeconds: 45,
      endpointConcurrency: 16,
      merchantCap: 16,
      notOnTheWire: [],
    });
  });

  it('a 2xx is delivered: the attempt is logged, nothing is scheduled, the healthy breaker is left alone', async () => {
    const { dispatcher, written, endpointRows } = setup([claimed()], async () => answer(204));
    expect(await dispatcher.runOnce()).toBe(1);
    expect(written()).toEqual([
      {
        id: 'whd_1',
        status: 'delivered',
        attemptsBefore: 0,
        attempt: expect.objectContaining({ status: 204, latencyMs: 12, error: null }),
        nextAt: null,
        error: null,
      },
    ]);
    expect(endpointRows.updateBreakers).not.toHaveBeenCalled();
    expect(dispatcher.attemptsMade).toBe(1);
  });

  it('a Retry-After lengthens the wait before the retry', async () => {
    const { dispatcher, written } = setup([claimed()], async () => answer(503, { 'retry-after': '120' }));
    const before = Date.now();
    await dispatcher.runOnce();
    const [o] = written();
    expect(o).toMatchObject({ status: 'failed', error: 'HTTP 503', attempt: expect.objectContaining({ status: 503 }) });
    const wait = (o.nextAt as Date).getTime() - before;
    expect(wait).toBeGreaterThanOrEqual(120_000 - 50);
    expect(wait).toBeLessThan(121_000);
  });

  it('an error status is retried on the schedule (5 s ±20 % first), and says why a redirect failed', async () => {
    const { dispatcher, written } = setup([claimed()], async () => answer(302));
    const before = Date.now();
    await dispatcher.runOnce();
    const [o] = written();
    expect(o).toMatchObject({ status: 'failed', error: 'HTTP 302 (redirects are not followed)' });
    const wait = (o.nextAt as Date).getTime() - before;
    expect(wait).toBeGreaterThanOrEqual(4_000 - 50);
    expect(wait).toBeLessThanOrEqual(6_000 + 1_000);
  });

  it('dead-letters once the schedule is exhausted', async () => {
    const { dispatcher, written } = setup([claimed({ attempts: SCHEDULE.length })], async () => answer(500));
    await dispatcher.runOnce();
    expect(written()).toEqual([expect.objectContaining({ status: 'dead', nextAt: null, error: 'HTTP 500', attemptsBefore: SCHEDULE.length })]);
  });

  it('410 Gone disables the endpoint and dead-letters what waits for it, in one transaction', async () => {
    const { dispatcher, written, endpointRows, deliveries } = setup([claimed()], async () => answer(410));
    await dispatcher.runOnce();
    expect(written()).toEqual([
      expect.objectContaining({ status: 'dead', error: 'HTTP 410: endpoint disabled', attempt: expect.objectContaining({ status: 410 }) }),
    ]);
    expect(endpointRows.inTransaction).toHaveBeenCalledTimes(1);
    expect(endpointRows.disable).toHaveBeenCalledWith(manager, 'we_1', expect.stringMatching(/^the endpoint answered 410 Gone at \d{4}-/));
    expect(deliveries.deadLetterWaiting).toHaveBeenCalledWith(manager, 'we_1', 'endpoint disabled (410 Gone)');
  });

  it('a disabled or deleted endpoint: its delivery is dead-lettered without a send', async () => {
    const { dispatcher, written, http, endpointRows } = setup(
      [claimed({ id: 'whd_off', endpoint_status: 'disabled' }), claimed({ id: 'whd_gone', endpoint_deleted_at: new Date() })],
      async () => answer(200),
    );
    await dispatcher.runOnce();
    expect(http.send).not.toHaveBeenCalled();
    expect(written()).toEqual([
      { id: 'whd_off', status: 'dead', attemptsBefore: 0, attempt: null, nextAt: null, error: 'endpoint disabled' },
      { id: 'whd_gone', status: 'dead', attemptsBefore: 0, attempt: null, nextAt: null, error: 'endpoint deleted' },
    ]);
    expect(endpointRows.updateBreakers).not.toHaveBeenCalled();
  });

  it('no answer at all is retried and counted against the breaker; the next answer resets it', async () => {
    let reachable = false;
    const rows = [claimed({ id: 'whd_1' }), claimed({ id: 'whd_2' })];
    const { dispatcher, written, endpointRows } = setup(rows, async () => {
      if (!reachable) throw new OutboundError('timeout', 'no answer within 15000 ms');
      return answer(200);
    });
    await dispatcher.runOnce();
    expect(written()).toEqual([
      expect.objectContaining({ status: 'failed', error: 'timeout: no answer within 15000 ms', attempt: expect.objectContaining({ status: null }) }),
      expect.objectContaining({ status: 'failed' }),
    ]);
    expect(endpointRows.updateBreakers).toHaveBeenCalledWith([{ endpointId: 'we_1', failed: 2, answered: false }], BREAKER_FAILURES, COOLDOWN_MS / 1000);

    // The claim still saw a count of 0 (not re-read), but this instance raised it: an answer resets it.
    reachable = true;
    rows.splice(1);
    await dispatcher.runOnce();
    expect(endpointRows.updateBreakers).toHaveBeenLastCalledWith([{ endpointId: 'we_1', failed: 0, answered: true }], BREAKER_FAILURES, COOLDOWN_MS / 1000);

    // Reset and seen reset: the next answers write nothing.
    await dispatcher.runOnce();
    expect(endpointRows.updateBreakers).toHaveBeenCalledTimes(2);
  });

  it('an answer from an endpoint claimed with a breaker count (another instance raised it) resets it', async () => {
    const { dispatcher, endpointRows } = setup([claimed({ consecutive_failures: BREAKER_FAILURES })], async () => answer(500));
    await dispatcher.runOnce();
    expect(endpointRows.updateBreakers).toHaveBeenCalledWith([{ endpointId: 'we_1', failed: 0, answered: true }], BREAKER_FAILURES, COOLDOWN_MS / 1000);
  });

  it('writes the outcomes that finish together in one statement', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => claimed({ id: `whd_${i}`, endpoint_id: `we_${i % 2}` }));
    const { dispatcher, deliveries } = setup(rows, async () => answer(200));
    await dispatcher.runOnce();
    expect(deliveries.recordOutcomes).toHaveBeenCalledTimes(1);
    expect(deliveries.recordOutcomes.mock.calls[0][1].map((o) => o.id).sort()).toEqual(rows.map((r) => r.id).sort());
  });

  it('a failed write leaves the claims to expire: the pass still completes', async () => {
    const { dispatcher, deliveries, endpointRows } = setup([claimed()], async () => answer(200));
    deliveries.recordOutcomes.mockRejectedValueOnce(new Error('connection terminated'));
    await expect(dispatcher.runOnce()).resolves.toBe(1);
    expect(endpointRows.updateBreakers).not.toHaveBeenCalled();
  });

  it('with its loop running, a group write claims the slots its answers freed in the same statement, never more than are free', async () => {
    const loops = runningLoops();
    const waiting = Array.from({ length: 10 }, (_, i) => claimed({ id: `whd_${i}` }));
    let onTheWire = 0;
    const { dispatcher, deliveries, http } = setup(
      [],
      async () => {
        onTheWire++;
        await new Promise((resolve) => setImmediate(resolve));
        onTheWire--;
        return answer(200);
      },
      { config: { webhookConcurrency: 4, webhookPollIntervalMs: 60_000 }, loops },
    );
    deliveries.claimDue.mockImplementation(async (claim: ClaimRequest) => waiting.splice(0, claim.limit));
    deliveries.recordOutcomesAndClaim.mockImplementation(async (_claimant: string, outcomes: DeliveryOutcome[], claim: ClaimRequest) => {
      // The rows being written are off the wire: the claim leaves them out of the in-flight counts.
      expect(claim.notOnTheWire).toEqual(expect.arrayContaining(outcomes.map((o) => o.id)));
      expect(claim.limit + onTheWire).toBeLessThanOrEqual(4);
      return { held: new Set(outcomes.map((o) => o.id)), claimed: waiting.splice(0, claim.limit) };
    });
    const written = () => deliveries.recordOutcomesAndClaim.mock.calls.flatMap(([, outcomes]) => outcomes);
    dispatcher.start();
    await until(() => written().length >= 10);
    await dispatcher.beforeApplicationShutdown();

    expect(
      written()
        .map((o) => o.id)
        .sort(),
    ).toEqual(Array.from({ length: 10 }, (_, i) => `whd_${i}`).sort());
    expect(http.send).toHaveBeenCalledTimes(10);
    // The loop claimed the first four; every later row was claimed by a write, and nothing by a separate write.
    expect(deliveries.claimDue).toHaveBeenCalledTimes(1);
    expect(deliveries.recordOutcomes).not.toHaveBeenCalled();
    expect(deliveries.releaseClaims).toHaveBeenCalledWith(dispatcher.instanceId);
  });

  it('a NOTIFY that arrives while a group write claims every free slot is claimed when that write settles, not at the next poll', async () => {
    const waiting = [claimed({ id: 'whd_first' })];
    const { dispatcher, deliveries, http, notify } = setup([], async () => answer(200), {
      config: { webhookConcurrency: 4, webhookPollIntervalMs: 60_000 },
      loops: runningLoops(),
    });
    deliveries.claimDue.mockImplementation(async (claim: ClaimRequest) => waiting.splice(0, claim.limit));
    deliveries.recordOutcomesAndClaim.mockImplementation(async (_claimant: string, outcomes: DeliveryOutcome[]) => {
      // Committed while the first write runs, after its snapshot: it does not see the new row.
      if (outcomes[0].id === 'whd_first') {
        waiting.push(claimed({ id: 'whd_second' }));
        notify();
      }
      return { held: new Set(outcomes.map((o) => o.id)), claimed: [] };
    });
    dispatcher.start();
    await until(() => http.send.mock.calls.length >= 2);
    await dispatcher.beforeApplicationShutdown();
    expect(http.send).toHaveBeenCalledTimes(2);
    expect(deliveries.claimDue).toHaveBeenCalledTimes(2);
  });
});
