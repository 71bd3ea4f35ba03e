import { Injectable } from '@nestjs/common';

export interface HeartbeatState {
  name: string;
  intervalMs: number;
  startedAt: number;
  lastBeatAt: number | null;
}

/**
 * Background loops (started by BackgroundLoops: sweeper, dispatcher, fulfillment worker, purge) report here;
 * /health/ready reads it. A heartbeat counts as fresh from the loop's start and for twice its
 * interval after each beat, so readiness is green within seconds of boot whatever the interval.
 */
@Injectable()
export class Heartbeats {
  private readonly loops = new Map<string, HeartbeatState>();

  /** Declare a loop when it starts. */
  register(name: string, intervalMs: number): void {
    this.loops.set(name, { name, intervalMs, startedAt: Date.now(), lastBeatAt: null });
  }

  beat(name: string): void {
    const loop = this.loops.get(name);
    if (loop) loop.lastBeatAt = Date.now();
  }

  /** Forget a loop (it was stopped on purpose, e.g. at shutdown). */
  unregister(name: string): void {
    this.loops.delete(name);
  }

  /** Each registered loop and whether it is fresh now. */
  status(now = Date.now()): { name: string; fresh: boolean; lastBeatAt: string | null }[] {
    return [...this.loops.values()].map((l) => ({
      name: l.name,
      fresh: now - (l.lastBeatAt ?? l.startedAt) <= 2 * l.intervalMs,
      lastBeatAt: l.lastBeatAt ? new Date(l.lastBeatAt).toISOString() : null,
    }));
  }
}
