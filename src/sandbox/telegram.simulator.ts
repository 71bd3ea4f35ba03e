import { Body, Controller, Get, Param, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { AppConfig } from '../config/config';
import { SandboxBackOffice } from './back-office';
import { SandboxBackOfficeRepository } from './back-office.repository';
import { SandboxFaults } from './faults';
import { sendJson } from './page';

/** Messages kept per bot, and bots kept: the simulator's memory stays bounded. */
const MESSAGES_PER_BOT = 100;
const BOTS_KEPT = 1_000;

interface SentMessage {
  message_id: number;
  date: number;
  chat: { id: string };
  text: string;
}

/**
 * The Telegram Bot API's sendMessage as its documentation describes it (`POST /bot<token>/sendMessage`,
 * JSON `{chat_id, text}` → `{ok: true, result: Message}`; `{ok: false, error_code, description}`
 * otherwise), recording each message per bot so tests can read what a merchant's chat received
 * (`GET /sandbox/telegram/bot<token>/sandboxMessages`, an addition of the sandbox's own).
 *
 * Sandbox rules: it answers only while TELEGRAM_API_BASE_URL points at this sandbox, and only for
 * bots some merchant's channel holds (looked up by the token's sha256); anything else is 404 or
 * 401 and records nothing. Faults (`provider: "telegram"`) break it like a gateway.
 */
@ApiExcludeController()
@Controller('sandbox/telegram')
export class TelegramSimulator {
  private readonly sent = new Map<string, SentMessage[]>();
  private nextId = 1;

  constructor(
    private readonly backOffice: SandboxBackOffice,
    private readonly repository: SandboxBackOfficeRepository,
    private readonly faults: SandboxFaults,
    private readonly config: AppConfig,
  ) {}

  /** The bot's key in `sent` when this sandbox plays Telegram for it, else null (the reply is sent). */
  private async bot(token: string, reply: FastifyReply): Promise<string | null> {
    if (!this.backOffice.pointsAtSandbox(this.config.telegramApiBaseUrl)) {
      sendJson(reply, 404, { ok: false, error_code: 404, description: 'Not Found' });
      return null;
    }
    const hash = createHash('sha256').update(token).digest('hex');
    if (!(await this.repository.telegramBotRegistered(hash))) {
      sendJson(reply, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
      return null;
    }
    return hash;
  }

  @Post('bot:token/sendMessage')
  async sendMessage(@Param('token') token: string, @Body() body: unknown, @Res() reply: FastifyReply) {
    if (await this.faults.apply('telegram', reply)) return;
    const bot = await this.bot(token, reply);
    if (!bot) return;
    const b = (body ?? {}) as { chat_id?: unknown; text?: unknown };
    const chatId = typeof b.chat_id === 'number' ? String(b.chat_id) : b.chat_id;
    if (typeof chatId !== 'string' || !chatId) return sendJson(reply, 400, { ok: false, error_code: 400, description: 'Bad Request: chat_id is empty' });
    if (typeof b.text !== 'string' || !b.text.trim())
      return sendJson(reply, 400, { ok: false, error_code: 400, description: 'Bad Request: message text is empty' });
    if (b.text.length > 4096) return sendJson(reply, 400, { ok: false, error_code: 400, description: 'Bad Request: message is too long' });
    const message: SentMessage = { message_id: this.nextId++, date: Math.floor(Date.now() / 1000), chat: { id: chatId }, text: b.text };
    let list = this.sent.get(bot);
    if (!list) {
      if (this.sent.size >= BOTS_KEPT) this.sent.delete(this.sent.keys().next().value!);
      this.sent.set(bot, (list = []));
    }
    list.push(message);
    if (list.length > MESSAGES_PER_BOT) list.shift();
    return sendJson(reply, 200, { ok: true, result: message });
  }

  @Get('bot:token/sandboxMessages')
  async messages(@Param('token') token: string, @Res() reply: FastifyReply) {
    const bot = await this.bot(token, reply);
    if (!bot) return;
    return sendJson(reply, 200, { ok: true, result: this.sent.get(bot) ?? [] });
  }
}
