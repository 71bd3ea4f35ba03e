import { Controller, Delete, Get, HttpCode, Injectable, Post, Query, RawBodyRequest, Req, UseGuards } from '@nestjs/common';
import { SandboxOnGuard } from './sandbox-on.guard';
import { ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import type { FastifyRequest } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { SecretBox } from '../common/crypto';
import { problemAt } from '../common/problem';
import { GATEWAY_ERRORS } from '../providers/gateway.errors';
import { AppConfig } from '../config/config';
import { SandboxBackOffice } from './back-office';
import { SandboxBackOfficeRepository } from './back-office.repository';

export const WEBHOOK_INBOX_PATH = '/sandbox/webhook-inbox';
/** Deliveries kept in memory, newest first. */
const INBOX_SIZE = 200;

export interface InboxEntry {
  received_at: string;
  webhook_id: string;
  webhook_timestamp: string;
  /** Standard Webhooks verification with the subscribing endpoint's secret (standardwebhooks library). */
  verified: boolean;
  verification_error: string | null;
  endpoint_id: string | null;
  merchant_id: string | null;
  type: string | null;
  body: unknown;
}

export class InboxQuery {
  @ApiPropertyOptional({ description: "Only this merchant's deliveries." })
  @IsOptional()
  @Matches(/^[a-z]{2,5}_[0-9a-z]{26}$/, { message: 'merchant_id must be an id' })
  merchant_id?: string;
}

/**
 * The merchant side of webhooks, read like a receiver's configuration would be: the secrets of
 * the endpoints subscribed to the inbox, read through the sandbox's read-only back-office port
 * (sealed as the orchestrator seals them), never through the events module.
 */
@Injectable()
export class SandboxInboxSecrets {
  private readonly box: SecretBox;

  constructor(
    private readonly repository: SandboxBackOfficeRepository,
    private readonly backOffice: SandboxBackOffice,
    config: AppConfig,
  ) {
    this.box = new SecretBox(config.encryptionKey);
  }

  async subscribed(): Promise<{ endpointId: string; merchantId: string; secrets: string[] }[]> {
    const rows = await this.repository.webhookEndpointsEndingWith(WEBHOOK_INBOX_PATH);
    // The LIKE only narrows: an endpoint counts when its URL really is this sandbox's inbox, not another host's path.
    return rows
      .filter((r) => this.backOffice.pointsAtSandbox(r.url))
      .map((r) => {
        const aad = `webhook_endpoint:${r.id}`;
        const secrets = [this.box.open(r.secret_sealed, aad)];
        if (r.previous_secret_sealed && r.previous_secret_expires_at && new Date(r.previous_secret_expires_at) > new Date())
          secrets.push(this.box.open(r.previous_secret_sealed, aad));
        return { endpointId: r.id, merchantId: r.merchant_id, secrets };
      });
  }
}

@ApiTags('Sandbox')
@UseGuards(SandboxOnGuard)
@Controller('sandbox/webhook-inbox')
export class SandboxWebhookInboxController {
  private readonly entries: InboxEntry[] = [];

  constructor(private readonly secrets: SandboxInboxSecrets) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'A webhook receiver for trying things out (sandbox only)',
    description:
      'Subscribe a webhook endpoint to `{PUBLIC_BASE_URL}/sandbox/webhook-inbox` (the demo merchant is subscribed at start). Each delivery is verified with the ' +
      "`standardwebhooks` library and the endpoint's secret, kept in memory (the last 200), and answered 200 when verified, 400 otherwise.",
  })
  async receiveSandboxWebhook(@Req() req: RawBodyRequest<FastifyRequest>) {
    const raw = req.rawBody?.toString('utf8') ?? '';
    const headers = {
      'webhook-id': String(req.headers['webhook-id'] ?? ''),
      'webhook-timestamp': String(req.headers['webhook-timestamp'] ?? ''),
      'webhook-signature': String(req.headers['webhook-signature'] ?? ''),
    };
    let match: { endpointId: string; merchantId: string } | null = null;
    let error = 'no webhook endpoint is subscribed to this inbox';
    for (const endpoint of await this.secrets.subscribed()) {
      for (const secret of endpoint.secrets) {
        try {
          new Webhook(secret).verify(raw, headers);
          match = endpoint;
          break;
        } catch (err) {
          error = (err as Error).message;
        }
      }
      if (match) break;
    }
    let body: unknown = null;
    try {
      body = raw ? JSON.parse(raw) : null;
    } catch {
      body = raw.slice(0, 1000);
    }
    const type = body && typeof body === 'object' && 'type' in body ? String((body as { type: unknown }).type) : null;
    this.entries.unshift({
      received_at: new Date().toISOString(),
      webhook_id: headers['webhook-id'],
      webhook_timestamp: headers['webhook-timestamp'],
      verified: match !== null,
      verification_error: match ? null : error,
      endpoint_id: match?.endpointId ?? null,
      merchant_id: match?.merchantId ?? null,
      type,
      body,
    });
    this.entries.length = Math.min(this.entries.length, INBOX_SIZE);
    if (!match) throw problemAt(GATEWAY_ERRORS.invalid_signature, 400, `webhook verification failed: ${error}`);
    return { received: true };
  }

  @Get()
  @ApiOperation({ summary: 'Deliveries the inbox received, newest first (sandbox only)' })
  @ApiOkResponse({
    description:
      '`{data: [{received_at, webhook_id, webhook_timestamp, verified, verification_error, endpoint_id, merchant_id, type, body}], has_more: false}`',
  })
  listSandboxWebhooks(@Query() q: InboxQuery) {
    return { data: this.entries.filter((e) => !q.merchant_id || e.merchant_id === q.merchant_id), has_more: false };
  }

  @Delete()
  @HttpCode(200)
  @ApiOperation({ summary: 'Empty the inbox (sandbox only)' })
  clearSandboxWebhooks() {
    this.entries.length = 0;
    return { data: [], has_more: false };
  }
}
