/** setTimeout's largest delay; a longer one fires after 1 ms (a busy loop), so sleeps are chunked. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A calls-per-second budget: `ratePerS` tokens a second, bursts of at most `burst`. Each caller
 * reserves its slot when it asks (GCRA: first come, first served), so it knows at once whether
 * the slot falls within the time it may wait. `pause(ms)` holds every caller, for a gateway's 429.
 */
export class TokenBucket {
  /** When the bucket is next empty-and-refilled by one token ("theoretical arrival time"). */
  private tat: number;
  private pausedUntil = 0;
  private readonly intervalMs: number;
  private readonly toleranceMs: number;

  constructor(
    readonly ratePerS: number,
    readonly burst = Math.max(1, Math.ceil(ratePerS / 10)),
    private readonly now: () => number = () => Date.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.intervalMs = 1000 / ratePerS;
    this.toleranceMs = (burst - 1) * this.intervalMs;
    this.tat = now();
  }

  /**
   * Resolves true when the caller may make one call, or false as soon as it is clear that its slot
   * (behind the callers ahead of it, or after a pause) is more than `maxWaitMs` away: it then
   * used no token and must not call.
   */
  async take(maxWaitMs = Infinity): Promise<boolean> {
    const deadline = this.now() + Math.max(0, maxWaitMs);
    for (;;) {
      const now = this.now();
      const at = Math.max(now, this.tat - this.toleranceMs, this.pausedUntil);
      if (at > deadline) return false;
      this.tat = Math.max(this.tat, at) + this.intervalMs;
      if (at <= now) return true;
      while (this.now() < at) await this.sleep(Math.min(Math.ceil(at - this.now()), MAX_TIMER_MS));
      // A 429 that arrived while this caller waited holds it too: it takes a slot after the pause (or gives up).
      if (this.pausedUntil <= at) return true;
    }
  }

  /** Hold all callers for `ms` (the gateway said slow down). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  /** Milliseconds until the current pause ends (0 when not paused). */
  pausedForMs(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }
}
