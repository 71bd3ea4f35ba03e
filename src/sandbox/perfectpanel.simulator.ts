import { Body, Controller, Get, Headers, Post, Query, Res, UseGuards } from '@nestjs/common';
import { SandboxOnGuard } from './sandbox-on.guard';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { SandboxFaults } from './faults';
import { centsText, panelAmountMinor, SandboxPanels } from './smm-panels';
import { sendJson } from './page';

/**
 * PerfectPanel's admin API v2 from the panel's side of the wire (the part a payment gateway
 * uses): `X-Api-Key` authentication and the `{data, error_code, error_message}` envelope, where
 * error_code 0 is success.
 * - POST /adminapi/v2/payments/add {username, amount, method, memo} → data {payment_id, user {username, balance}}
 * - GET  /adminapi/v2/payments?username&limit → data {list: [{id, user {username}, amount, method, memo, status, created}], pagination}
 * - GET  /adminapi/v2/users?username → data {list: [{username, balance}]}
 * The API key is the merchant's stored panel key (PUT /v1/smm-panel with type perfectpanel).
 * Sandbox convenience: every username exists (a user is opened with balance 0 on first payment).
 */
type Params = Record<string, string | undefined>;

@ApiExcludeController()
@UseGuards(SandboxOnGuard)
@Controller('sandbox/perfectpanel/adminapi/v2')
export class PerfectpanelSimulator {
  constructor(
    private readonly panels: SandboxPanels,
    private readonly faults: SandboxFaults,
  ) {}

  private fail(reply: FastifyReply, status: number, code: number, message: string): void {
    sendJson(reply, status, { data: null, error_code: code, error_message: message });
  }

  private async auth(reply: FastifyReply, apiKey: string | undefined): Promise<string | null> {
    const merchantId = await this.panels.merchantForKey('perfectpanel', String(apiKey ?? ''));
    if (!merchantId) this.fail(reply, 401, 401, 'Invalid API key');
    return merchantId;
  }

  @Post('payments/add')
  async addPayment(@Headers('x-api-key') apiKey: string | undefined, @Body() body: unknown, @Res() reply: FastifyReply) {
    if (await this.faults.apply('perfectpanel', reply)) return;
    const merchantId = await this.auth(reply, apiKey);
    if (!merchantId) return;
    const b = body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const username = typeof b.username === 'string' ? b.username.trim() : '';
    const amountMinor = panelAmountMinor(b.amount);
    if (!username) return this.fail(reply, 400, 100, 'username is required');
    if (amountMinor === null) return this.fail(reply, 400, 101, 'amount must be a positive number with at most 2 decimals');
    const method = typeof b.method === 'string' ? b.method.slice(0, 100) : null;
    const memo = typeof b.memo === 'string' ? b.memo.slice(0, 500) : null;
    const added = await this.panels.addPayment('perfectpanel', merchantId, { username, amountMinor, amount: centsText(amountMinor), method, memo });
    sendJson(reply, 200, {
      data: { payment_id: Number(added.id), user: { username, balance: centsText(added.balanceMinor) } },
      error_code: 0,
      error_message: '',
    });
  }

  @Get('payments')
  async listPayments(@Headers('x-api-key') apiKey: string | undefined, @Query() q: Params, @Res() reply: FastifyReply) {
    if (await this.faults.apply('perfectpanel', reply)) return;
    const merchantId = await this.auth(reply, apiKey);
    if (!merchantId) return;
    const limit = Math.min(100, Math.max(1, Number(q.limit) || 100));
    const list = await this.panels.payments('perfectpanel', merchantId, q.username?.trim() || null, limit);
    sendJson(reply, 200, {
      data: {
        list: list.map((p) => ({
          id: Number(p.id),
          user: { username: p.username },
          amount: p.amount,
          method: p.method,
          memo: p.memo,
          status: 'completed',
          created: p.createdAt.toISOString(),
        })),
        pagination: { limit, count: list.length },
      },
      error_code: 0,
      error_message: '',
    });
  }

  @Get('users')
  async users(@Headers('x-api-key') apiKey: string | undefined, @Query() q: Params, @Res() reply: FastifyReply) {
    if (await this.faults.apply('perfectpanel', reply)) return;
    const merchantId = await this.auth(reply, apiKey);
    if (!merchantId) return;
    const users = await this.panels.users('perfectpanel', merchantId, q.username?.trim() || null);
    sendJson(reply, 200, {
      data: { list: users.map((u) => ({ username: u.username, balance: centsText(u.balanceMinor) })) },
      error_code: 0,
      error_message: '',
    });
  }
}
