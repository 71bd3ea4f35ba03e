import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock';
import { AppConfig } from '../config/config';

const WINDOW_MS = 60_000;
/** Addresses remembered at once: a spray from many addresses costs bounded memory (the oldest windows go first). */
const MAX_TRACKED = 10_000;

/**
 * Guessing the admin token, throttled: ADMIN_AUTH_FAILURES_PER_MIN wrong tokens from one client
 * address within a minute, and every admin request from that address answers 429 until the
 * minute is over, whatever token it carries (letting a right token through would tell a guesser
 * which guess was right). Correct tokens never count. Per instance, in memory.
 */
@Injectable()
export class AdminAuthThrottle {
  private readonly windows = new Map<string, { failures: number; resetAt: number }>();

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  get limit(): number {
    return this.config.adminAuthFailuresPerMin;
  }

  /** Seconds this address must wait before trying again; 0 when it may try now. */
  blockedFor(address: string): number {
    const window = this.windows.get(address);
    if (!window) return 0;
    const left = window.resetAt - this.clock.nowMs();
    if (left <= 0) {
      this.windows.delete(address);
      return 0;
    }
    return window.failures >= this.limit ? Math.ceil(left / 1000) : 0;
  }

  recordFailure(address: string): void {
    const now = this.clock.nowMs();
    const window = this.windows.get(address);
    if (window && window.resetAt > now) {
      window.failures++;
      return;
    }
    if (window) this.windows.delete(address);
    if (this.windows.size >= MAX_TRACKED) this.evict(now);
    this.windows.set(address, { failures: 1, resetAt: now + WINDOW_MS });
  }

  private evict(now: number): void {
    for (const [address, window] of this.windows) if (window.resetAt <= now) this.windows.delete(address);
    // Still full: drop the oldest windows (a Map iterates in insertion order).
    for (const address of this.windows.keys()) {
      if (this.windows.size < MAX_TRACKED) break;
      this.windows.delete(address);
    }
  }
}
