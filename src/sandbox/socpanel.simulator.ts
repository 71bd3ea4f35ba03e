import { Controller, Get, Query, Res, UseGuards } from '@nestjs/common';
import { SandboxOnGuard } from './sandbox-on.guard';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { SandboxFaults } from './faults';
import { centsText, panelAmountMinor, SandboxPanels } from './smm-panels';
import { sendJson } from './page';

/**
 * SocPanel's private API from the panel's side of the wire: GET requests with the token in the
 * query string, answering a JSON object; a refusal is `{error: "…"}`.
 * - GET /privateApi/incrementUserBalance?login&amount&token → {status: "success", login, balance}
 * - GET /privateApi/getUser?login&token → {login, balance}
 * There is no way to list past balance changes (which is why a credit with an unknown outcome
 * cannot be checked afterwards). The token is the merchant's stored panel key (type socpanel).
 * Sandbox convenience: every login exists (opened with balance 0 on first increment).
 */
type Params = Record<string, string | undefined>;

@ApiExcludeController()
@UseGuards(SandboxOnGuard)
@Controller('sandbox/socpanel/privateApi')
export class SocpanelSimulator {
  constructor(
    private readonly panels: SandboxPanels,
    private readonly faults: SandboxFaults,
  ) {}

  @Get('incrementUserBalance')
  async increment(@Query() q: Params, @Res() reply: FastifyReply) {
    if (await this.faults.apply('socpanel', reply)) return;
    const merchantId = await this.panels.merchantForKey('socpanel', String(q.token ?? ''));
    if (!merchantId) return sendJson(reply, 401, { error: 'Invalid token' });
    const login = String(q.login ?? '').trim();
    const amountMinor = panelAmountMinor(q.amount);
    if (!login) return sendJson(reply, 200, { error: 'login is required' });
    if (amountMinor === null) return sendJson(reply, 200, { error: 'amount must be a positive number with at most 2 decimals' });
    const added = await this.panels.addPayment('socpanel', merchantId, {
      username: login,
      amountMinor,
      amount: centsText(amountMinor),
      method: null,
      memo: null,
    });
    sendJson(reply, 200, { status: 'success', login, balance: centsText(added.balanceMinor) });
  }

  @Get('getUser')
  async getUser(@Query() q: Params, @Res() reply: FastifyReply) {
    if (await this.faults.apply('socpanel', reply)) return;
    const merchantId = await this.panels.merchantForKey('socpanel', String(q.token ?? ''));
    if (!merchantId) return sendJson(reply, 401, { error: 'Invalid token' });
    const login = String(q.login ?? '').trim();
    const [user] = await this.panels.users('socpanel', merchantId, login || null);
    if (!user || !login) return sendJson(reply, 200, { error: 'User not found' });
    sendJson(reply, 200, { login: user.username, balance: centsText(user.balanceMinor) });
  }
}
