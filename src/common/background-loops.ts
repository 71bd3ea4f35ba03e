import { BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { AppConfig } from '../config/config';
import { Heartbeats } from './heartbeats';

/** How long shutdown waits for a running iteration before giving up on it (main.ts cuts the whole stop at 30 s). */
export const LOOP_STOP_TIMEOUT_MS = 20_000;

export interface BackgroundLoop {
  /** Its name in /health/ready. */
  name: string;
  /**
   * Periodic loop: the pause between the end of one iteration and the start of the next.
   * Continuous loop: how often it beats. Either way its heartbeat is fresh for twice this.
   */
  intervalMs: number;
  /**
   * One iteration (periodic), or the whole loop (continuous: runs until `stop` is called).
   * `beat` marks progress inside a long iteration; a periodic iteration that resolves beats too.
   */
  run: (beat: () => void) => Promise<unknown>;
  /** The loop runs on its own (waits for work itself) until `stop`; the registry only starts and stops it. */
  continuous?: boolean;
  /** Asks the running iteration to wind down (called once at shutdown, before waiting for it). */
  stop?: () => void;
}

const timerName = (entry: Entry) => `loop:${entry.loop.name}`;

interface Entry {
  loop: BackgroundLoop;
  timer: NodeJS.Timeout | null;
  running: Promise<void> | null;
}

/**
 * Every background loop of the process (ghostfolio's CronService idea): the reconciliation
 * sweeper, the webhook dispatcher, the fulfillment worker, the idempotency purge. One place
 * that starts nothing when BACKGROUND_JOBS is off, beats each loop's heartbeat (read by
 * /health/ready) and stops them all the same way: no new iteration, the running one is asked to
 * stop and awaited, bounded by LOOP_STOP_TIMEOUT_MS.
 *
 * Shutdown is in two steps because Nest stops the global CommonModule last: `halt()` (called by
 * the app module, the first to stop) prevents new iterations while the feature services set
 * their own stopping flags; `beforeApplicationShutdown` then waits for what still runs.
 */
@Injectable()
export class BackgroundLoops implements BeforeApplicationShutdown {
  private readonly logger = new Logger('BackgroundLoops');
  private readonly entries = new Map<string, Entry>();
  private halted = false;

  constructor(
    private readonly config: AppConfig,
    private readonly heartbeats: Heartbeats,
    /** @nestjs/schedule's registry holds each loop's pending timer, so the timers are visible to (and cleared by) Nest's scheduler too. */
    private readonly scheduler: SchedulerRegistry,
  ) {}

  /** Starts a loop, unless BACKGROUND_JOBS is off or shutdown has begun. Returns whether it started. */
  add(loop: BackgroundLoop): boolean {
    if (!this.config.backgroundJobs || this.halted || this.entries.has(loop.name)) return false;
    const entry: Entry = { loop, timer: null, running: null };
    this.entries.set(loop.name, entry);
    this.heartbeats.register(loop.name, loop.intervalMs);
    if (loop.continuous) this.iterate(entry);
    else this.schedule(entry);
    return true;
  }

  /** The loops started (diagnostics, tests). */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** No new iteration from now on (the running ones go on). */
  halt(): void {
    this.halted = true;
    for (const entry of this.entries.values()) this.clearTimer(entry);
  }

  /** Stops one loop: no new iteration, asks the running one to stop and waits for it (bounded). */
  async stop(name: string, timeoutMs = LOOP_STOP_TIMEOUT_MS): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) return;
    this.entries.delete(name);
    this.clearTimer(entry);
    entry.loop.stop?.();
    if (entry.running) await this.bounded(entry.running, timeoutMs, name);
    this.heartbeats.unregister(name);
  }

  /** Stops every loop, in parallel. */
  async stopAll(timeoutMs = LOOP_STOP_TIMEOUT_MS): Promise<void> {
    this.halt();
    await Promise.all([...this.entries.keys()].map((name) => this.stop(name, timeoutMs)));
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.stopAll();
  }

  private schedule(entry: Entry): void {
    if (this.halted || this.entries.get(entry.loop.name) !== entry) return;
    entry.timer = setTimeout(() => {
      this.clearTimer(entry);
      this.iterate(entry);
    }, entry.loop.intervalMs);
    // The HTTP server keeps the process alive; a pending iteration must not.
    entry.timer.unref();
    this.scheduler.addTimeout(timerName(entry), entry.timer);
  }

  private iterate(entry: Entry): void {
    const { name } = entry.loop;
    const beat = () => this.heartbeats.beat(name);
    entry.running = Promise.resolve()
      .then(() => entry.loop.run(beat))
      .then(beat)
      .catch((err: unknown) => this.logger.error(`${name} failed: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => {
        entry.running = null;
        if (!entry.loop.continuous) this.schedule(entry);
      });
  }

  private clearTimer(entry: Entry): void {
    if (!entry.timer) return;
    clearTimeout(entry.timer);
    entry.timer = null;
    if (this.scheduler.doesExist('timeout', timerName(entry))) this.scheduler.deleteTimeout(timerName(entry));
  }

  private async bounded(work: Promise<void>, ms: number, name: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), ms);
    });
    const late = await Promise.race([work.then(() => false), timedOut]).finally(() => clearTimeout(timer));
    if (late) this.logger.warn(`${name} did not stop within ${ms} ms; leaving it`);
  }
}
