import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { BackgroundLoops } from '../common/background-loops';
import { OutboundError, OutboundHttp } from '../common/http/outbound-http';
import { AppConfig } from '../config/config';
import { judgeAttempt } from '../events/webhook-policy';
import { ClaimedNotification, NotificationDeliveriesRepository, NotificationOutcome } from './notification-deliveries.repository';
import { NotificationsService } from './notifications.service';

export const NOTIFICATION_LOOP = 'notification-dispatcher';
export const NOTIFICATION_INTERVAL_MS = 1_000;
const BATCH = 16;
/** Deadline of one Bot API call. */
const SEND_TIMEOUT_MS = 10_000;

/** An attempt's answer: the HTTP status (null when none came), an error for the log, and Telegram's retry_after. */
interface Attempt {
  status: number | null;
  error: string | null;
  retryAfterMs: number | null;
}

/**
 * Sends notification messages: claims due rows (SKIP LOCKED, leased, safe with several
 * instances), calls the Bot API's sendMessage through OutboundHttp (deadline, SSRF guard), and
 * judges each answer with the webhooks' policy (judgeAttempt: the same retry schedule, ±20 %
 * jitter, dead after the last attempt). The bot token is in the Bot API's URL path: it is never
 * logged nor written in an error (errors are rebuilt from the status and Telegram's description).
 */
@Injectable()
export class NotificationDispatcher implements OnApplicationBootstrap {
  private readonly logger = new Logger(NotificationDispatcher.name);

  constructor(
    private readonly deliveries: NotificationDeliveriesRepository,
    private readonly notifications: NotificationsService,
    private readonly http: OutboundHttp,
    private readonly config: AppConfig,
    private readonly loops: BackgroundLoops,
  ) {}

  onApplicationBootstrap(): void {
    this.loops.add({
      name: NOTIFICATION_LOOP,
      intervalMs: NOTIFICATION_INTERVAL_MS,
      run: () => this.runOnce().catch((err: unknown) => this.logger.error({ err: (err as Error)?.message }, 'notification pass failed')),
    });
  }

  /** One pass: claim what is due and send it. Returns how many were claimed (tests call it instead of waiting for the loop). */
  async runOnce(): Promise<number> {
    const rows = await this.deliveries.claimDue(BATCH, SEND_TIMEOUT_MS / 1000 + 30);
    await Promise.all(rows.map((row) => this.deliver(row)));
    return rows.length;
  }

  private async deliver(row: ClaimedNotification): Promise<void> {
    let outcome: NotificationOutcome;
    if (!row.bot_token_sealed || !row.chat_id) {
      outcome = { status: 'dead', httpStatus: null, error: 'channel deleted', nextAt: null };
    } else {
      const token = this.notifications.openToken({ merchantId: row.merchant_id, livemode: row.livemode }, 'telegram', row.bot_token_sealed);
      const attempt = await this.send(token, row.chat_id, row.text);
      const verdict = judgeAttempt(attempt.status, attempt.retryAfterMs, row.attempts - 1, this.config.webhookRetryScheduleMs, Date.now());
      outcome =
        verdict.kind === 'delivered'
          ? { status: 'delivered', httpStatus: attempt.status, error: null, nextAt: null }
          : verdict.kind === 'retry'
            ? { status: 'failed', httpStatus: attempt.status, error: attempt.error, nextAt: verdict.at }
            : { status: 'dead', httpStatus: attempt.status, error: attempt.error, nextAt: null };
    }
    try {
      await this.deliveries.record(row, outcome);
    } catch (err) {
      this.logger.warn(
        { delivery: row.id, err: (err as Error).message },
        'could not record a notification outcome; its claim will expire and it is sent again',
      );
    }
  }

  private async send(token: string, chatId: string, text: string): Promise<Attempt> {
    try {
      const res = await this.http.send({
        method: 'POST',
        url: `${this.config.telegramApiBaseUrl}/bot${token}/sendMessage`,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ chat_id: chatId, text }),
        timeoutMs: SEND_TIMEOUT_MS,
        maxBodyBytes: 16 * 1024,
      });
      if (res.status >= 200 && res.status < 300) return { status: res.status, error: null, retryAfterMs: null };
      const answer = telegramError(res.body);
      const description = answer.description ? `: ${answer.description.split(token).join('[REDACTED]').slice(0, 300)}` : '';
      return { status: res.status, error: `HTTP ${res.status}${description}`, retryAfterMs: answer.retryAfterMs };
    } catch (err) {
      const message = err instanceof OutboundError ? `${err.kind}: ${err.message}` : 'error: the Bot API call failed';
      return { status: null, error: message.split(token).join('[REDACTED]').slice(0, 300), retryAfterMs: null };
    }
  }
}

/** The Bot API's error body `{ok: false, error_code, description, parameters: {retry_after}}`, as far as it parses. */
function telegramError(body: string): { description: string | null; retryAfterMs: number | null } {
  try {
    const parsed = JSON.parse(body) as { description?: unknown; parameters?: { retry_after?: unknown } };
    const retry = parsed?.parameters?.retry_after;
    return {
      description: typeof parsed?.description === 'string' ? parsed.description : null,
      retryAfterMs: typeof retry === 'number' && Number.isFinite(retry) && retry >= 0 ? retry * 1000 : null,
    };
  } catch {
    return { description: null, retryAfterMs: null };
  }
}
