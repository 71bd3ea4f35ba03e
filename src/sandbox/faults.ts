import { Injectable, OnModuleDestroy } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

export type FaultMode = 'http500' | 'http429' | 'timeout' | 'garbage';
export interface FaultSpec {
  latency_ms: number;
  error_rate: number;
  mode: FaultMode | null;
}

/** How long a "timeout" fault holds the request: longer than any client deadline we use. */
export const TIMEOUT_FAULT_MS = 30_000;

/**
 * Faults injected into one simulated gateway's API (never into /sandbox/control). Kept per
 * instance: a test sets them on the instance whose gateway it wants to break.
 */
@Injectable()
export class SandboxFaults implements OnModuleDestroy {
  private readonly faults = new Map<string, FaultSpec>();
  /** Held 'timeout' requests, released at shutdown so the server can close. */
  private readonly held = new Set<() => void>();
  injected = 0;
  /** Requests each simulated gateway's API received (counted in apply, which every API route calls first). */
  private readonly calls = new Map<string, number>();

  set(provider: string, spec: FaultSpec): void {
    this.faults.set(provider, spec);
  }

  onModuleDestroy(): void {
    for (const release of [...this.held]) release();
  }

  clear(): void {
    this.faults.clear();
  }

  /** Requests per simulated gateway since the last reset (tests count provider calls with it). */
  stats(): Record<string, number> {
    return Object.fromEntries(this.calls);
  }

  resetStats(): void {
    this.calls.clear();
  }

  list(): Record<string, FaultSpec> {
    return Object.fromEntries(this.faults);
  }

  /**
   * Delays and possibly breaks a gateway call. Returns true when it answered the request
   * itself (the simulator must then not answer).
   */
  async apply(provider: string, reply: FastifyReply): Promise<boolean> {
    this.calls.set(provider, (this.calls.get(provider) ?? 0) + 1);
    const spec = this.faults.get(provider);
    if (!spec) return false;
    if (spec.latency_ms > 0) await new Promise((r) => setTimeout(r, spec.latency_ms));
    if (!spec.mode || Math.random() >= spec.error_rate) return false;
    this.injected++;
    switch (spec.mode) {
      case 'http500':
        void reply.status(500).header('content-type', 'text/html').send('<html><body><h1>500 Internal Server Error</h1></body></html>');
        return true;
      case 'http429':
        void reply.status(429).header('retry-after', '1').header('content-type', 'application/json').send('{"message":"Too Many Requests"}');
        return true;
      case 'garbage':
        void reply.status(200).header('content-type', 'application/json').send('<!DOCTYPE html><html>Service temporarily unavailable, {"status":');
        return true;
      case 'timeout':
        await new Promise<void>((resolve) => {
          const release = () => {
            clearTimeout(timer);
            this.held.delete(release);
            resolve();
          };
          const timer = setTimeout(release, TIMEOUT_FAULT_MS);
          this.held.add(release);
        });
        void reply.status(504).send('');
        return true;
    }
  }
}
