import { Injectable, Logger } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';

export interface PgListenerOptions {
  /** The NOTIFY channel to LISTEN on (a plain identifier). */
  channel: string;
  /** Called for every notification on the channel. */
  onNotify: () => void;
  /** Called each time the LISTEN is up again: whatever was notified while it was down was missed. */
  onListening?: () => void;
  /** Names the connection in the logs. */
  label: string;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

/**
 * A dedicated connection that LISTENs on one channel (pool connections come and go, and a
 * LISTEN lives only as long as its connection). Reconnects with back-off after an error or a
 * dropped connection; callers keep polling meanwhile, so a notification is only ever a hint.
 */
export class PgListener {
  private readonly logger = new Logger(PgListener.name);
  private client: Client | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectDelayMs = FIRST_RETRY_MS;
  private stopped = false;

  constructor(
    private readonly db: DataSource,
    private readonly options: PgListenerOptions,
  ) {}

  /** Whether the LISTEN connection is up. */
  get listening(): boolean {
    return this.client !== null;
  }

  /** Connects in the background; without a database URL (nothing to connect to) it stays off. */
  start(): void {
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const url = (this.db.options as { url?: string }).url;
    if (!url) return;
    const client = new Client({ connectionString: url });
    client.on('notification', (msg) => {
      if (msg.channel === this.options.channel) this.options.onNotify();
    });
    client.on('error', (err) => {
      this.warnDown(err);
      this.drop(client);
    });
    client.on('end', () => this.drop(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${this.options.channel}`);
      if (this.stopped) {
        await client.end();
        return;
      }
      this.client = client;
      this.reconnectDelayMs = FIRST_RETRY_MS;
      this.options.onListening?.();
    } catch (err) {
      this.warnDown(err as Error);
      this.drop(client);
      await client.end().catch(() => undefined);
    }
  }

  private warnDown(err: Error): void {
    this.logger.warn({ err: err.message }, `${this.options.label} LISTEN connection failed; polling until it is back`);
  }

  private drop(client: Client): void {
    if (this.client === client) this.client = null;
    if (this.stopped || this.reconnectTimer || this.client) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, this.reconnectDelayMs);
    this.reconnectDelayMs = Math.min(this.reconnectDelayMs * 2, MAX_RETRY_MS);
  }
}

/** Makes PgListeners on the application's database (provide it in the module that listens). */
@Injectable()
export class PgListeners {
  constructor(private readonly db: DataSource) {}

  /** A listener for `options.channel`; nothing connects until its start(). */
  create(options: PgListenerOptions): PgListener {
    return new PgListener(this.db, options);
  }
}
