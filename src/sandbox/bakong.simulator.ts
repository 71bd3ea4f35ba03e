import { Body, Controller, Get, Headers, Param, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { field, SandboxBackOffice } from './back-office';
import { SandboxFaults } from './faults';
import { SandboxPayment, SandboxPaymentsRepository } from './sandbox-payments.repository';
import { sendJson } from './page';
import { AppConfig } from '../config/config';

/**
 * The National Bank of Cambodia's Bakong Open API as its document describes it, from Bakong's
 * side of the wire (written from the Open API document, not from the provider module):
 * POST /v1/renew_token, /v1/check_transaction_by_md5, /v1/check_transaction_by_md5_list,
 * /v1/generate_deeplink_by_qr and /v1/check_bakong_account, JSON in and out, the
 * `{responseCode, responseMessage, errorCode, data}` envelope.
 *
 * - Bearer tokens: a token is valid when a merchant's `bakong` account holds it and, if it is a
 *   JWT (as Bakong's are), its `exp` has not passed. Anything else: HTTP 401, errorCode 6.
 * - A payment is found by md5 (transactions.provider_reference) among the token holder's
 *   transactions, and is paid once /sandbox/control/pay recorded it in the ledger. Bakong only
 *   knows paid md5s: an unpaid one is "not found" (errorCode 1), as on the real API.
 * - generate_deeplink_by_qr: for a token holder only (the sandbox acts for its own merchants), a
 *   KHQR whose CRC is right and a complete sourceInfo; the short link opens a sandbox page.
 * - check_bakong_account: any unexpired bearer token (the account being saved is not on file yet,
 *   so its token cannot be looked up); every well-formed `name@bank` exists except at the
 *   sandbox's bank `@none` (errorCode 11), anything else is invalid (errorCode 12).
 */
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

export const MD5_LIST_LIMIT = 50;
/** Bakong tokens last about 90 days. */
const TOKEN_LIFETIME_S = 90 * 86_400;

const UNAUTHORIZED = { responseCode: 1, responseMessage: 'Unauthorized, not yet requested for token or code invalid', errorCode: 6, data: null };
const MISSING_FIELDS = { responseCode: 1, responseMessage: 'Missing required fields', errorCode: 5, data: null };
const NOT_FOUND_MESSAGE = 'Transaction could not be found. Please check and try again.';

/** A JWT's `exp` (seconds), if the token is a JWT that carries one. */
function jwtExp(token: string): number | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp : null;
  } catch {
    return null;
  }
}

/** CRC-16/CCITT-FALSE over the KHQR up to and including "6304", as EMVCo tag 63 carries it. */
function khqrCrcOk(qr: string): boolean {
  if (qr.length < 8 || qr.slice(-8, -4) !== '6304') return false;
  let crc = 0xffff;
  for (const byte of Buffer.from(qr.slice(0, -4), 'utf8')) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, '0') === qr.slice(-4).toUpperCase();
}

const nonEmpty = (v: unknown) => typeof v === 'string' && v.trim().length > 0;

@ApiExcludeController()
@Controller('sandbox/bakong')
export class BakongSimulator {
  /** Signs the tokens renew_token issues (Bakong's own key; nobody checks the signature here). */
  private readonly signingKey = randomBytes(32);

  constructor(
    private readonly backOffice: SandboxBackOffice,
    private readonly ledger: SandboxPaymentsRepository,
    private readonly faults: SandboxFaults,
    private readonly config: AppConfig,
  ) {}

  /** The merchants whose bakong account holds this bearer token (with that account), or null when Bakong would refuse it. */
  private async authenticate(header: string | undefined): Promise<Map<string, Record<string, unknown>> | null> {
    const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (!token) return null;
    const exp = jwtExp(token);
    if (exp !== null && exp * 1000 < Date.now()) return null;
    const holders = await this.backOffice.accountsWhere('bakong', 'token', token);
    // Keyed by merchant and mode: a test-mode token sees only that merchant's test-mode payments, and the reverse.
    return holders.length ? new Map(holders.map((h) => [`${h.merchantId}:${h.livemode}`, h.account])) : null;
  }

  /** Paid transactions among `md5s` that belong to these merchants, in Bakong's `data` shape. */
  private async lookup(merchants: Map<string, Record<string, unknown>>, md5s: string[]): Promise<Map<string, Record<string, unknown>>> {
    // The payments and the ledger at once; a ledger entry counts only for the token holder's own payments.
    const [all, paid] = await Promise.all([this.backOffice.transactionsByRefs('bakong', md5s), this.ledger.findMany('bakong', md5s)]);
    const out = new Map<string, Record<string, unknown>>();
    for (const txn of all) {
      const account = merchants.get(`${txn.merchantId}:${txn.livemode}`);
      const payment = paid.get(txn.providerReference);
      if (!account || !payment) continue;
      // The receiving account is the holder's own registration, already read to authenticate the token.
      out.set(txn.providerReference, transactionData(payment, field(account, 'account_id')));
    }
    return out;
  }

  @Post('v1/renew_token')
  async renewToken(@Body() body: unknown, @Res() reply: FastifyReply) {
    if (await this.faults.apply('bakong', reply)) return;
    const email = (body as { email?: unknown } | null)?.email;
    if (typeof email !== 'string' || !email) return sendJson(reply, 200, MISSING_FIELDS);
    if (email.length > 30 || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email))
      return sendJson(reply, 200, { responseCode: 1, responseMessage: 'Not registered', errorCode: 10, data: null });
    const now = Math.floor(Date.now() / 1000);
    const head = b64url({ typ: 'JWT', alg: 'HS256' });
    const payload = b64url({ iat: now, exp: now + TOKEN_LIFETIME_S, data: { id: sha256(email).slice(0, 15) } });
    const signature = createHmac('sha256', this.signingKey).update(`${head}.${payload}`).digest('base64url');
    return sendJson(reply, 200, {
      responseCode: 0,
      responseMessage: 'Token has been issued',
      errorCode: null,
      data: { token: `${head}.${payload}.${signature}` },
    });
  }

  @Post('v1/check_transaction_by_md5')
  async checkByMd5(@Headers('authorization') authorization: string | undefined, @Body() body: unknown, @Res() reply: FastifyReply) {
    if (await this.faults.apply('bakong', reply)) return;
    const merchants = await this.authenticate(authorization);
    if (!merchants) return sendJson(reply, 401, UNAUTHORIZED);
    const md5 = (body as { md5?: unknown } | null)?.md5;
    if (typeof md5 !== 'string' || !md5) return sendJson(reply, 200, MISSING_FIELDS);
    const found = (await this.lookup(merchants, [md5.toLowerCase()])).get(md5.toLowerCase());
    if (!found) return sendJson(reply, 200, { responseCode: 1, responseMessage: NOT_FOUND_MESSAGE, errorCode: 1, data: null });
    return sendJson(reply, 200, { responseCode: 0, responseMessage: 'Getting transaction successfully.', errorCode: null, data: found });
  }

  @Post('v1/check_transaction_by_md5_list')
  async checkByMd5List(@Headers('authorization') authorization: string | undefined, @Body() body: unknown, @Res() reply: FastifyReply) {
    if (await this.faults.apply('bakong', reply)) return;
    const merchants = await this.authenticate(authorization);
    if (!merchants) return sendJson(reply, 401, UNAUTHORIZED);
    if (!Array.isArray(body) || !body.length || !body.every((m) => typeof m === 'string' && m)) return sendJson(reply, 200, MISSING_FIELDS);
    if (body.length > MD5_LIST_LIMIT) {
      return sendJson(reply, 400, {
        responseCode: 1,
        responseMessage: `The md5 list must not contain more than ${MD5_LIST_LIMIT} items`,
        errorCode: 5,
        data: null,
      });
    }
    const md5s = (body as string[]).map((m) => m.toLowerCase());
    const found = await this.lookup(merchants, md5s);
    const data = md5s.map((md5) => {
      const txn = found.get(md5);
      return txn
        ? { md5, status: 'SUCCESS', message: 'Getting transaction successfully.', data: txn }
        : { md5, status: 'NOT_FOUND', message: NOT_FOUND_MESSAGE, data: null };
    });
    return sendJson(reply, 200, { responseCode: 0, responseMessage: 'Getting transaction successfully.', errorCode: null, data });
  }

  @Post('v1/generate_deeplink_by_qr')
  async generateDeeplink(@Headers('authorization') authorization: string | undefined, @Body() body: unknown, @Res() reply: FastifyReply) {
    if (await this.faults.apply('bakong', reply)) return;
    if (!(await this.authenticate(authorization))) return sendJson(reply, 401, UNAUTHORIZED);
    const b = (body ?? {}) as { qr?: unknown; sourceInfo?: Record<string, unknown> | null };
    if (typeof b.qr !== 'string' || !b.qr) return sendJson(reply, 200, MISSING_FIELDS);
    const source = b.sourceInfo;
    if (source !== undefined && (!source || !nonEmpty(source.appIconUrl) || !nonEmpty(source.appName) || !nonEmpty(source.appDeepLinkCallback))) {
      return sendJson(reply, 200, MISSING_FIELDS);
    }
    if (!khqrCrcOk(b.qr))
      return sendJson(reply, 200, { responseCode: 1, responseMessage: 'Error requesting deeplink from provider', errorCode: 4, data: null });
    const md5 = createHash('md5').update(b.qr).digest('hex');
    return sendJson(reply, 200, {
      responseCode: 0,
      responseMessage: 'Getting Deeplink successfully.',
      errorCode: null,
      data: { shortLink: `${this.config.publicBaseUrl}/sandbox/bakong/link/${md5}` },
    });
  }

  /** Where a sandbox short link leads: the bank app would open here; the sandbox shows which KHQR. */
  @Get('link/:md5')
  openLink(@Param('md5') md5: string, @Res() reply: FastifyReply) {
    const safe = /^[0-9a-f]{32}$/.test(md5) ? md5 : 'unknown';
    void reply
      .status(200)
      .header('content-type', 'text/html; charset=utf-8')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bakong app — sandbox</title></head><body><h1>Bakong app (sandbox)</h1><p id="md5">${safe}</p></body></html>`,
      );
  }

  @Post('v1/check_bakong_account')
  async checkAccount(@Headers('authorization') authorization: string | undefined, @Body() body: unknown, @Res() reply: FastifyReply) {
    if (await this.faults.apply('bakong', reply)) return;
    const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
    const exp = token ? jwtExp(token) : null;
    if (!token || (exp !== null && exp * 1000 < Date.now())) return sendJson(reply, 401, UNAUTHORIZED);
    const accountId = (body as { accountId?: unknown } | null)?.accountId;
    if (typeof accountId !== 'string' || !accountId) return sendJson(reply, 200, MISSING_FIELDS);
    if (accountId.length > 32 || !/^[^\s@]+@[a-z0-9_]+$/i.test(accountId))
      return sendJson(reply, 200, { responseCode: 1, responseMessage: 'Invalid Account ID', errorCode: 12, data: null });
    if (/@none$/i.test(accountId)) return sendJson(reply, 200, { responseCode: 1, responseMessage: 'Account ID not found', errorCode: 11, data: null });
    return sendJson(reply, 200, { responseCode: 0, responseMessage: 'Account ID exists', errorCode: null, data: null });
  }
}

/** A Bakong transaction record for a sandbox payment. */
function transactionData(payment: SandboxPayment, toAccountId: string): Record<string, unknown> {
  const created = payment.paidAt.getTime();
  return {
    hash: sha256(payment.gatewayTxnId),
    fromAccountId: 'sandbox_payer@devb',
    toAccountId,
    currency: payment.currency,
    // A JSON number, as Bakong sends it.
    amount: Number(payment.amount),
    description: null,
    createdDateMs: created,
    acknowledgedDateMs: created + 1000,
    trackingStatus: null,
    receiverBank: null,
    receiverBankAccount: null,
    instructionRef: null,
    externalRef: `100FT${parseInt(payment.gatewayTxnId.slice(0, 12), 16)}`,
  };
}
