import { Body, Controller, Headers, Post, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { field, SandboxBackOffice } from './back-office';
import { SandboxFaults } from './faults';
import { SandboxPayment, SandboxPaymentsRepository } from './sandbox-payments.repository';
import { sendJson } from './page';

/**
 * The National Bank of Cambodia's Bakong Open API as its document describes it, from Bakong's
 * side of the wire (written from the Open API document, not from the provider module):
 * POST /v1/renew_token, /v1/check_transaction_by_md5 and /v1/check_transaction_by_md5_list,
 * JSON in and out, the `{responseCode, responseMessage, errorCode, data}` envelope.
 *
 * - Bearer tokens: a token is valid when a merchant's `bakong` account holds it and, if it is a
 *   JWT (as Bakong's are), its `exp` has not passed. Anything else: HTTP 401, errorCode 6.
 * - A payment is found by md5 (transactions.provider_reference) among the token holder's
 *   transactions, and is paid once /sandbox/control/pay recorded it in the ledger. Bakong only
 *   knows paid md5s: an unpaid one is "not found" (errorCode 1), as on the real API.
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

@ApiExcludeController()
@Controller('sandbox/bakong/v1')
export class BakongSimulator {
  /** Signs the tokens renew_token issues (Bakong's own key; nobody checks the signature here). */
  private readonly signingKey = randomBytes(32);

  constructor(
    private readonly backOffice: SandboxBackOffice,
    private readonly ledger: SandboxPaymentsRepository,
    private readonly faults: SandboxFaults,
  ) {}

  /** The merchants whose bakong account holds this bearer token (with that account), or null when Bakong would refuse it. */
  private async authenticate(header: string | undefined): Promise<Map<string, Record<string, unknown>> | null> {
    const token = /^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1];
    if (!token) return null;
    const exp = jwtExp(token);
    if (exp !== null && exp * 1000 < Date.now()) return null;
    const holders = await this.backOffice.accountsWhere('bakong', 'token', token);
    return holders.length ? new Map(holders.map((h) => [h.merchantId, h.account])) : null;
  }

  /** Paid transactions among `md5s` that belong to these merchants, in Bakong's `data` shape. */
  private async lookup(merchants: Map<string, Record<string, unknown>>, md5s: string[]): Promise<Map<string, Record<string, unknown>>> {
    // The payments and the ledger at once; a ledger entry counts only for the token holder's own payments.
    const [all, paid] = await Promise.all([this.backOffice.transactionsByRefs('bakong', md5s), this.ledger.findMany('bakong', md5s)]);
    const out = new Map<string, Record<string, unknown>>();
    for (const txn of all) {
      const account = merchants.get(txn.merchantId);
      const payment = paid.get(txn.providerReference);
      if (!account || !payment) continue;
      // The receiving account is the holder's own registration, already read to authenticate the token.
      out.set(txn.providerReference, transactionData(payment, field(account, 'account_id')));
    }
    return out;
  }

  @Post('renew_token')
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

  @Post('check_transaction_by_md5')
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

  @Post('check_transaction_by_md5_list')
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
