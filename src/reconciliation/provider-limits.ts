import { Injectable, Logger } from '@nestjs/common';
import { BrokenCircuitError, BulkheadPolicy, bulkhead, circuitBreaker, CircuitBreakerPolicy, CircuitState, ConsecutiveBreaker, handleWhen, TaskCancelledError, timeout, TimeoutPolicy, TimeoutStrategy } from 'cockatiel';
import { AppConfig } from '../config/config';
import { ProviderError, ProviderId } from '../providers/provider';
import { TokenBucket } from './token-bucket';

/** Consecutive gateway failures that open a provider's circuit. */
export const BREAKER_THRESHOLD = 5;
/** How long an open circuit refuses calls before letting one test call through. */
export const BREAKER_HALF_OPEN_AFTER_MS = 15_000;
/** Pause after a 429 without Retry-After; doubles on each consecutive 429, up to the cap. */
const RATE_LIMIT_PAUSE_MS = 1_000;
const RATE_LIMIT_PAUSE_CAP_MS = 30_000;

/** Failures that say the gateway itself is unwell (not that one account or payment is wrong). */
export function isOutage(err: unknown): boolean {
  return err instanceof ProviderError && (err.kind === 'timeout' || err.kind === 'unavailable' || err.kind === 'rate_limited' || err.kind === 'bad_response');
}

/** The call was not made because the provider's circuit is open. */
export class CircuitOpenError extends Error {
  constructor(readonly provider: string) {
    super(`not called: ${provider} failed ${BREAKER_THRESHOLD} times in a row; the circuit breaker is open`);
    this.name = 'CircuitOpenError';
  }
}

/**
 * One provider's protections, outermost first: a bulkhead (at most `concurrency` calls in
 * flight), a circuit breaker (after BREAKER_THRESHOLD consecutive outage failures, calls fail
 * fast until a test call succeeds), a calls-per-second budget (token bucket, paused on 429),
 * and a deadline backstop above PROVIDER_TIMEOUT_MS for providers that ignore it.
 */
export class ProviderGuard {
  readonly bulkhead: BulkheadPolicy;
  readonly breaker: CircuitBreakerPolicy;
  readonly bucket: TokenBucket;
  private readonly deadline: TimeoutPolicy;
  private consecutive429 = 0;

  constructor(
    readonly provider: ProviderId,
    concurrency: number,
    ratePerS: number,
    providerTimeoutMs: number,
    logger: Logger,
  ) {
    this.bulkhead = bulkhead(concurrency, Number.MAX_SAFE_INTEGER);
    this.breaker = circuitBreaker(handleWhen(isOutage), { halfOpenAfter: BREAKER_HALF_OPEN_AFTER_MS, breaker: new ConsecutiveBreaker(BREAKER_THRESHOLD) });
    this.bucket = new TokenBucket(ratePerS);
    this.deadline = timeout(providerTimeoutMs + 2_000, TimeoutStrategy.Aggressive);
    this.breaker.onBreak(() => logger.warn(`${provider}: circuit opened after ${BREAKER_THRESHOLD} consecutive failures; calls paused for ${BREAKER_HALF_OPEN_AFTER_MS / 1000}s`));
    this.breaker.onReset(() => logger.log(`${provider}: circuit closed, the gateway answers again`));
  }

  get circuitOpen(): boolean {
    return this.breaker.state === CircuitState.Open || this.breaker.state === CircuitState.Isolated;
  }

  /** Runs one gateway call under every limit. Throws CircuitOpenError when it was not made. */
  async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await this.bulkhead.execute(() =>
        this.breaker.execute(async () => {
          await this.bucket.take();
          try {
            const result = await this.deadline.execute(() => fn());
            this.consecutive429 = 0;
            return result;
          } catch (err) {
            if (err instanceof TaskCancelledError) throw new ProviderError(this.provider, 'timeout', 'the gateway did not answer in time');
            if (err instanceof ProviderError && err.kind === 'rate_limited') {
              const backoff = Math.min(RATE_LIMIT_PAUSE_CAP_MS, RATE_LIMIT_PAUSE_MS * 2 ** this.consecutive429++);
              this.bucket.pause(Math.max(backoff, (err.retryAfterSeconds ?? 0) * 1000));
            }
            throw err;
          }
        }),
      );
    } catch (err) {
      if (err instanceof BrokenCircuitError) throw new CircuitOpenError(this.provider);
      throw err;
    }
  }
}

/** Per-provider guards, shared by every sweep in this process (the limits are per instance). */
@Injectable()
export class ProviderLimits {
  private readonly logger = new Logger('Reconciliation');
  private readonly guards = new Map<ProviderId, ProviderGuard>();

  constructor(private readonly config: AppConfig) {}

  for(provider: ProviderId): ProviderGuard {
    let guard = this.guards.get(provider);
    if (!guard) {
      guard = new ProviderGuard(provider, this.config.reconcileConcurrency, this.config.reconcileRatePerS, this.config.providerTimeoutMs, this.logger);
      this.guards.set(provider, guard);
    }
    return guard;
  }

  /** Forget every breaker and budget (tests; an operator after fixing a gateway would restart). */
  reset(): void {
    this.guards.clear();
  }
}
