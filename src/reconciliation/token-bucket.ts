/**
 * A calls-per-second budget: `ratePerS` tokens a second, bursts of at most `burst`. Callers
 * wait their turn in order (FIFO). `pause(ms)` holds every caller, for a gateway's 429.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private pausedUntil = 0;
  private tail: Promise<void> = Promise.resolve();

  constructor(
    readonly ratePerS: number,
    readonly burst = Math.max(1, Math.ceil(ratePerS / 10)),
    private readonly now: () => number = () => Date.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Resolves when the caller may make one call. */
  take(): Promise<void> {
    const turn = this.tail.then(() => this.takeOne());
    this.tail = turn.catch(() => undefined);
    return turn;
  }

  /** Hold all callers for `ms` (the gateway said slow down). */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  private async takeOne(): Promise<void> {
    for (;;) {
      const now = this.now();
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerS) / 1000);
      this.last = now;
      const wait = Math.max(this.pausedUntil - now, this.tokens >= 1 ? 0 : ((1 - this.tokens) * 1000) / this.ratePerS);
      if (wait <= 0) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(wait));
    }
  }
}
