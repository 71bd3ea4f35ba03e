import { Injectable, Logger } from '@nestjs/common';
import {
  BrokenCircuitError,
  BulkheadPolicy,
  bulkhead,
  circuitBreaker,
  CircuitBreakerPolicy,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  TaskCancelledError,
  timeout,
  TimeoutPolicy,
  TimeoutStrategy,
} from 'cockatiel';
import { AppConfig } from '../config/config';
import { MAX_RETRY_AFTER_SECONDS, ProviderError, ProviderId } from '../providers/provider';
import { TokenBucket } from './token-bucket';

/** Consecutive gateway failures that open a provider's circuit. */
export const BREAKER_THRESHOLD = 5;
/** How long an open circuit refuses calls before letting one test call through. */
export const BREAKER_HALF_OPEN_AFTER_MS = 15_000;
/** Pause after a 429 without Retry-After; doubles on each consecutive 429, up to the cap. */
const RATE_LIMIT_PAUSE_MS = 1_000;
const RATE_LIMIT_PAUSE_CAP_MS = 30_000;
/** No 429 pauses a gateway host for longer than this, whatever its Retry-After says. */
export const MAX_PAUSE_MS = MAX_RETRY_AFTER_SECONDS * 1000;

/** Failures that say the gateway itself is unwell (not that one account or payment is wrong). */
export function isOutage(err: unknown): boolean {
  return err instanceof ProviderError && (err.kind === 'timeout' || err.kind === 'unavailable' || err.kind === 'rate_limited' || err.kind === 'bad_response');
}

/**
 * The gateway was not called (so this is not a check: the transaction's back-off does not
 * advance). `reason` prefixes the transaction's last_error.
 */
export abstract class NotCalledError extends Error {
  abstract readonly reason: 'circuit_open' | 'paused';
}

/** The call was not made because the gateway host's circuit is open. */
export class CircuitOpenError extends NotCalledError {
  readonly reason = 'circuit_open';
  constructor(readonly gateway: string) {
    super(`not called: ${gateway} failed ${BREAKER_THRESHOLD} times in a row; the circuit breaker is open`);
    this.name = 'CircuitOpenError';
  }
}

/** The call was not made because no slot at the gateway host (429 pause, calls-per-second budget) came within its deadline. */
export class PausedError extends NotCalledError {
  readonly reason = 'paused';
  constructor(
    readonly gateway: string,
    waitLimitMs: number,
    pausedForMs: number,
  ) {
    super(
      pausedForMs > 0
        ? `not called: ${gateway} asked us to wait (HTTP 429); paused for another ${Math.ceil(pausedForMs / 1000)} s, longer than a call may wait (${waitLimitMs} ms)`
        : `not called: no slot in the calls-per-second budget of ${gateway} within ${waitLimitMs} ms`,
    );
    this.name = 'PausedError';
  }
}

/** The gateway host of an account (its base_url's host:port), the unit a real gateway rate-limits by. */
/** What a guard is keyed by: where the account's gateway lives. */
type GatewayLocation = { base_url?: string };

export function gatewayHost(account: GatewayLocation | undefined): string {
  try {
    return new URL(account?.base_url ?? '').host;
  } catch {
    return '';
  }
}

/**
 * One gateway host's protections (per provider), outermost first: a bulkhead (at most
 * `concurrency` calls in flight), a circuit breaker (after BREAKER_THRESHOLD consecutive outage
 * failures, calls fail fast until a test call succeeds), a calls-per-second budget (token
 * bucket, paused on 429 for at most MAX_PAUSE_MS), and a deadline backstop above
 * PROVIDER_TIMEOUT_MS for providers that ignore it. A call waits for its turn (bulkhead queue,
 * budget, pause) at most PROVIDER_TIMEOUT_MS from when it asks; past that it is not made.
 */
export class ProviderGuard {
  readonly bulkhead: BulkheadPolicy;
  readonly breaker: CircuitBreakerPolicy;
  readonly bucket: TokenBucket;
  private readonly deadline: TimeoutPolicy;
  private consecutive429 = 0;
  /** "provider at host", in logs and errors. */
  readonly gateway: string;

  constructor(
    readonly provider: ProviderId,
    concurrency: number,
    ratePerS: number,
    private readonly providerTimeoutMs: number,
    logger: Logger,
    readonly host = '',
  ) {
    this.gateway = host ? `${provider} at ${host}` : provider;
    this.bulkhead = bulkhead(concurrency, Number.MAX_SAFE_INTEGER);
    this.breaker = circuitBreaker(handleWhen(isOutage), { halfOpenAfter: BREAKER_HALF_OPEN_AFTER_MS, breaker: new ConsecutiveBreaker(BREAKER_THRESHOLD) });
    this.bucket = new TokenBucket(ratePerS);
    // abortOnReturn off: the call does not take cockatiel's signal (its own HTTP deadline is the outbound client's), so aborting it on
    // return only built an AbortError DOMException per call (~0.1 ms of CPU each in the sweep's profile, docs/benchmarks.md "Sweeps (issue 19)").
    this.deadline = timeout(providerTimeoutMs + 2_000, { strategy: TimeoutStrategy.Aggressive, abortOnReturn: false });
    this.breaker.onBreak(() =>
      logger.warn(`${this.gateway}: circuit opened after ${BREAKER_THRESHOLD} consecutive failures; calls paused for ${BREAKER_HALF_OPEN_AFTER_MS / 1000}s`),
    );
    this.breaker.onReset(() => logger.log(`${this.gateway}: circuit closed, the gateway answers again`));
  }

  get circuitOpen(): boolean {
    return this.breaker.state === CircuitState.Open || this.breaker.state === CircuitState.Isolated;
  }

  /** Runs one gateway call under every limit. Throws a NotCalledError when it was not made. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    // Every wait for a turn counts against the call's deadline, so no pause or queue holds a caller longer.
    const waitUntil = Date.now() + this.providerTimeoutMs;
    try {
      return await this.bulkhead.execute(() =>
        this.breaker.execute(async () => {
          if (!(await this.bucket.take(waitUntil - Date.now()))) throw new PausedError(this.gateway, this.providerTimeoutMs, this.bucket.pausedForMs());
          try {
            const result = await this.deadline.execute(() => fn());
            this.consecutive429 = 0;
            return result;
          } catch (err) {
            if (err instanceof TaskCancelledError) throw new ProviderError(this.provider, 'timeout', 'the gateway did not answer in time');
            if (err instanceof ProviderError && err.kind === 'rate_limited') {
              const backoff = Math.min(RATE_LIMIT_PAUSE_CAP_MS, RATE_LIMIT_PAUSE_MS * 2 ** this.consecutive429++);
              this.bucket.pause(Math.min(MAX_PAUSE_MS, Math.max(backoff, (err.retryAfterSeconds ?? 0) * 1000)));
            }
            throw err;
          }
        }),
      );
    } catch (err) {
      if (err instanceof BrokenCircuitError) throw new CircuitOpenError(this.gateway);
      throw err;
    }
  }
}

/**
 * Guards per provider and gateway host (of the account's base_url), shared by every sweep in this
 * process (the limits are per instance). Merchants on the same real gateway share its limits; a
 * merchant whose base_url points elsewhere (its own host) only ever pauses or trips itself.
 */
@Injectable()
export class ProviderLimits {
  private readonly logger = new Logger('Reconciliation');
  private readonly guards = new Map<string, ProviderGuard>();

  constructor(private readonly config: AppConfig) {}

  for(provider: ProviderId, account?: GatewayLocation): ProviderGuard {
    const host = gatewayHost(account);
    const key = `${provider} ${host}`;
    let guard = this.guards.get(key);
    if (!guard) {
      guard = new ProviderGuard(provider, this.config.reconcileConcurrency, this.config.reconcileRatePerS, this.config.providerTimeoutMs, this.logger, host);
      this.guards.set(key, guard);
    }
    return guard;
  }

  /** Forget every breaker and budget (tests; an operator after fixing a gateway would restart). */
  reset(): void {
    this.guards.clear();
  }
}
