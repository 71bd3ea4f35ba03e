import { Body, Controller, Get, HttpCode, Logger, OnModuleInit, Post, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { BakongKHQR, IndividualInfo, khqrData } from 'bakong-khqr';
import { constants, createHash, createHmac, privateDecrypt, timingSafeEqual } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import * as QRCode from 'qrcode';
import { formatAmount, parseAmount } from '../common/money';
import { AppConfig } from '../config/config';
import { field, SandboxBackOffice, SandboxTransaction } from './back-office';
import { SandboxFaults } from './faults';
import { sendJson } from './page';
import { PAYWAY_SANDBOX_RSA_PRIVATE_KEY, PAYWAY_SANDBOX_RSA_PUBLIC_KEY } from './payway-rsa-key';
import { SandboxPayment, SandboxPaymentsRepository } from './sandbox-payments.repository';
import { SandboxReactions } from './simulators';

/**
 * ABA PayWay from its side of the wire, written from developer.payway.com.kh alone (it imports no provider code):
 * - POST …/payments/generate-qr (QR API): hash = base64(HMAC-SHA512(req_time . merchant_id . tran_id . amount . items .
 *   first_name . last_name . email . phone . purchase_type . payment_option . callback_url . return_deeplink . currency .
 *   custom_fields . return_params . payout . lifetime . qr_image_template, api_key)); answers {qrString, qrImage,
 *   abapay_deeplink, app_store, play_store, amount, currency, status: {code: "0", message, trace_id}}.
 * - POST …/payments/check-transaction-2: hash over req_time . merchant_id . tran_id; answers {data: {payment_status_code,
 *   payment_status, total_amount, original_amount, refund_amount, payment_amount, payment_currency, apv, …}, status:
 *   {code: "00", …}}, or status code 6 "tran_id not found" (HTTP 200).
 * - POST …/online-transaction/refund: merchant_auth is hex of RSA (PKCS#1 v1.5) blocks under the sandbox's public key
 *   (GET /sandbox/payway/rsa-public-key) holding {"mc_id","tran_id","refund_amount"}; hash over request_time . merchant_id
 *   . merchant_auth. Partial refunds until the paid amount is used up.
 * - Wrong hash: HTTP 403, status code "1" "Wrong Hash." (refund: "PTL02"). Refusals the pages give no code for use "PTL04".
 * - When the customer pays (/sandbox/control/pay) it posts the pushback {tran_id, apv, status: "0"} to
 *   PUBLIC_BASE_URL/callbacks/payway/pushback, the callback_url the orchestrator sends.
 * Refund totals are kept in memory, per instance (the sandbox is one process in tests and demos).
 */
const PREFIX = 'api/payment-gateway/v1/payments';
const PUSHBACK_TIMEOUT_MS = 5_000;
const b64hmac = (key: string, text: string) => createHmac('sha512', key).update(text, 'utf8').digest('base64');
const sameText = (a: string, b: string) => {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y) && a.length === b.length;
};
const s = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : '');
const stamp = (d: Date) => d.toISOString().replace('T', ' ').slice(0, 19);

type Json = Record<string, unknown>;

@ApiExcludeController()
@Controller('sandbox/payway')
export class PaywaySimulator implements OnModuleInit {
  private readonly logger = new Logger('PaywaySimulator');
  /** QRs this instance made (their transaction row may not exist yet): tran_id → merchant_id and the KHQR. */
  private readonly created = new Map<string, { merchantId: string; qr: string }>();
  /** Refunded minor-unit totals by tran_id. */
  private readonly refunded = new Map<string, number>();

  constructor(
    private readonly backOffice: SandboxBackOffice,
    private readonly ledger: SandboxPaymentsRepository,
    private readonly faults: SandboxFaults,
    private readonly reactions: SandboxReactions,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.reactions.register({ provider: 'payway', onPaid: (payment, txn) => this.pushback(payment, txn) });
  }

  @Get('rsa-public-key')
  publicKey(@Res() reply: FastifyReply) {
    void reply.status(200).header('content-type', 'application/x-pem-file').send(PAYWAY_SANDBOX_RSA_PUBLIC_KEY);
  }

  /**
   * Whether `hash` is the HMAC of `text` under the api_key of the merchant registered with this merchant_id. PayWay issues
   * each merchant_id once: when several sandbox registrations name one, the first registered owns it.
   */
  private async signer(merchantId: string, text: string, hash: string): Promise<boolean> {
    if (!merchantId || !hash) return false;
    const [owner] = await this.backOffice.accountsWhere('payway', 'merchant_id', merchantId);
    return !!owner && sameText(b64hmac(field(owner.account, 'api_key'), text), hash);
  }

  @Post(`${PREFIX}/generate-qr`)
  @HttpCode(200)
  async generateQr(@Body() body: Json, @Res() reply: FastifyReply) {
    if (await this.faults.apply('payway', reply)) return;
    const b = body ?? {};
    const v = (k: string) => (b[k] === null || b[k] === undefined ? '' : s(b[k]));
    const text = [
      'req_time', 'merchant_id', 'tran_id', 'amount', 'items', 'first_name', 'last_name', 'email', 'phone', 'purchase_type', 'payment_option',
      'callback_url', 'return_deeplink', 'currency', 'custom_fields', 'return_params', 'payout', 'lifetime', 'qr_image_template',
    ].map(v).join(''); // prettier-ignore
    const status = (code: string, message: string) => ({ status: { code, message, trace_id: createHash('md5').update(text).digest('hex') } });
    if (!(await this.signer(v('merchant_id'), text, v('hash')))) return sendJson(reply, 403, status('1', 'Wrong Hash.'));
    const currency = v('currency').toUpperCase();
    const amount = typeof b.amount === 'number' ? b.amount : Number.NaN;
    const tranId = v('tran_id');
    const lifetime = typeof b.lifetime === 'number' ? b.lifetime : Number.NaN;
    if (!/^[A-Za-z0-9-]{1,20}$/.test(tranId) || !Number.isInteger(lifetime) || lifetime < 3 || lifetime > 43_200 || !v('qr_image_template'))
      return sendJson(reply, 400, status('48', 'Invalid parameters.'));
    if (currency !== 'USD' && currency !== 'KHR') return sendJson(reply, 200, status('12', 'Payment currency is not allowed.'));
    if (v('payment_option') !== 'abapay_khqr') return sendJson(reply, 200, status('23', 'Payment option is not enabled.'));
    // The wire amount is a JSON number: read as its decimal text, never as float arithmetic.
    const minor = amountMinorOf(amount, currency);
    if (minor === null || (currency === 'KHR' && minor < 100)) return sendJson(reply, 200, status(currency === 'KHR' ? '47' : '48', 'Invalid amount.'));
    const amountText = formatAmount(minor, currency);
    const result = new BakongKHQR().generateIndividual(
      new IndividualInfo('payway_sandbox@abaa', 'PayWay Sandbox', 'Phnom Penh', {
        currency: currency === 'KHR' ? khqrData.currency.khr : khqrData.currency.usd,
        amount: currency === 'KHR' ? amount : Number(amountText),
        expirationTimestamp: Date.now() + lifetime * 60_000,
      }),
    );
    if (result.status.code !== 0 || !result.data) return sendJson(reply, 200, status('8', 'General error.'));
    if (this.created.size >= 10_000) this.created.delete(this.created.keys().next().value!);
    const qr = result.data.qr;
    this.created.set(tranId, { merchantId: v('merchant_id'), qr });
    return sendJson(reply, 200, {
      qrString: qr,
      // PayWay inlines a PNG data URL; the sandbox links to the same PNG instead (rendering it costs more than the rest of
      // the call, and the orchestrator draws its own image from qrString).
      qrImage: `${this.config.publicBaseUrl}/sandbox/payway/qr-image?tran_id=${encodeURIComponent(tranId)}`,
      abapay_deeplink: `abamobilebank://ababank.com?type=payway&qrcode=${encodeURIComponent(qr)}`,
      app_store: 'https://itunes.apple.com/al/app/aba-mobile-bank/id968860649?mt=8',
      play_store: 'https://play.google.com/store/apps/details?id=com.paygo24.ibank',
      amount,
      currency,
      ...status('0', 'Success.'),
    });
  }

  /** The QR image of a QR this instance made (the qrImage of the QR API's answer). */
  @Get('qr-image')
  async qrImage(@Query('tran_id') tranId: string | undefined, @Res() reply: FastifyReply) {
    const made = this.created.get(tranId ?? '');
    if (!made) return sendJson(reply, 404, { status: { code: '6', message: 'tran_id not found' } });
    void reply
      .status(200)
      .header('content-type', 'image/png')
      .send(await QRCode.toBuffer(made.qr, { type: 'png', margin: 2, width: 200 }));
  }

  /** A transaction of this merchant: its row (amount, currency) or, just created here, PENDING without one. */
  private async find(merchantId: string, tranId: string): Promise<{ txn: SandboxTransaction | null } | null> {
    const found = await this.backOffice.transactionWithAccount('payway', tranId);
    if (found) return field(found.account, 'merchant_id') === merchantId ? { txn: found.txn } : null;
    return this.created.get(tranId)?.merchantId === merchantId ? { txn: null } : null;
  }

  @Post(`${PREFIX}/check-transaction-2`)
  @HttpCode(200)
  async check(@Body() body: Json, @Res() reply: FastifyReply) {
    if (await this.faults.apply('payway', reply)) return;
    const [reqTime, merchantId, tranId] = [s(body?.req_time), s(body?.merchant_id), s(body?.tran_id)];
    const status = (code: string, message: string) => ({ status: { code, message, tran_id: tranId } });
    if (!(await this.signer(merchantId, reqTime + merchantId + tranId, s(body?.hash)))) return sendJson(reply, 403, status('1', 'Wrong Hash.'));
    const known = await this.find(merchantId, tranId);
    if (!known) return sendJson(reply, 200, status('6', 'tran_id not found'));
    const paid = await this.ledger.find('payway', tranId);
    const currency = paid?.currency ?? known.txn?.currency ?? 'USD';
    const scale = currency === 'KHR' ? 1 : 100;
    const original = paid ? Number(paid.amount) : known.txn ? known.txn.amountMinor / scale : 0;
    const refunded = (this.refunded.get(tranId) ?? 0) / scale;
    const code = paid ? (refunded > 0 ? 4 : 0) : 2;
    return sendJson(reply, 200, {
      data: {
        payment_status_code: code,
        total_amount: original,
        original_amount: original,
        refund_amount: refunded,
        discount_amount: 0,
        payment_amount: Math.round((original - refunded) * scale) / scale,
        payment_currency: currency,
        apv: paid ? apvOf(paid) : '',
        payment_status: { 0: 'APPROVED', 2: 'PENDING', 4: 'REFUNDED' }[code],
        transaction_date: stamp(paid?.paidAt ?? known.txn?.createdAt ?? new Date()),
      },
      ...status('00', 'Success!'),
    });
  }

  @Post('api/merchant-portal/merchant-access/online-transaction/refund')
  @HttpCode(200)
  async refund(@Body() body: Json, @Res() reply: FastifyReply) {
    if (await this.faults.apply('payway', reply)) return;
    const [requestTime, merchantId, auth] = [s(body?.request_time), s(body?.merchant_id), s(body?.merchant_auth)];
    const status = (code: string, message: string) => ({ status: { code, message } });
    if (!(await this.signer(merchantId, requestTime + merchantId + auth, s(body?.hash)))) return sendJson(reply, 403, status('PTL02', 'Wrong hash'));
    const request = decryptMerchantAuth(auth);
    if (!request || s(request.mc_id) !== merchantId) return sendJson(reply, 403, status('PTL04', 'Invalid merchant_auth'));
    const tranId = s(request.tran_id);
    const known = tranId ? await this.find(merchantId, tranId) : null;
    const paid = known ? await this.ledger.find('payway', tranId) : null;
    if (!known || !paid) return sendJson(reply, 403, status('PTL36', 'Transaction not found or is invalid'));
    const scale = paid.currency === 'KHR' ? 1 : 100;
    const text = s(request.refund_amount);
    const pattern = paid.currency === 'KHR' ? /^\d{1,12}$/ : /^\d{1,10}(\.\d{1,2})?$/;
    const minor = pattern.test(text) ? Math.round(Number(text) * scale) : 0;
    const before = this.refunded.get(tranId) ?? 0;
    const paidMinor = Math.round(Number(paid.amount) * scale);
    if (minor <= 0 || before + minor > paidMinor) return sendJson(reply, 403, status('PTL04', 'Invalid refund amount'));
    this.refunded.set(tranId, before + minor);
    return sendJson(reply, 200, {
      grand_total: paidMinor / scale,
      total_refunded: (before + minor) / scale,
      currency: paid.currency,
      transaction_status: 'REFUNDED',
      ...status('00', 'Success!'),
    });
  }

  /** The pushback PayWay posts to the callback_url once the customer paid. */
  private async pushback(payment: SandboxPayment, txn: SandboxTransaction | null): Promise<void> {
    if (!txn) return;
    const url = `${this.config.publicBaseUrl}/callbacks/payway/pushback`;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tran_id: payment.providerReference, apv: apvOf(payment), status: '0' }),
        redirect: 'manual',
        signal: AbortSignal.timeout(PUSHBACK_TIMEOUT_MS),
      });
      await res.arrayBuffer();
      if (!res.ok) this.logger.warn({ url, status: res.status }, 'pushback refused');
    } catch (err) {
      this.logger.warn({ url, err: (err as Error).message }, 'pushback failed');
    }
  }
}

/** The approval code: six digits, stable per payment. */
function apvOf(payment: SandboxPayment): string {
  return String(parseInt(createHash('sha256').update(payment.gatewayTxnId).digest('hex').slice(0, 8), 16) % 1_000_000).padStart(6, '0');
}

/**
 * merchant_auth → its JSON: hex, RSA blocks of the key's size, each PKCS#1 v1.5 (type 2) padded. Node refuses PKCS#1 v1.5
 * private decryption (CVE-2023-46809), so each block is decrypted raw and unpadded here; any malformed block → null.
 */
function decryptMerchantAuth(hex: string): Json | null {
  if (!hex || hex.length > 8192 || !/^([0-9a-f]{2})+$/i.test(hex)) return null;
  const data = Buffer.from(hex, 'hex');
  const size = 256;
  if (data.length % size !== 0) return null;
  const parts: Buffer[] = [];
  try {
    for (let i = 0; i < data.length; i += size) {
      const block = privateDecrypt({ key: PAYWAY_SANDBOX_RSA_PRIVATE_KEY, padding: constants.RSA_NO_PADDING }, data.subarray(i, i + size));
      const sep = block.indexOf(0, 2);
      if (block[0] !== 0 || block[1] !== 2 || sep < 10) return null;
      parts.push(block.subarray(sep + 1));
    }
    const parsed: unknown = JSON.parse(Buffer.concat(parts).toString('utf8'));
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Json) : null;
  } catch {
    return null;
  }
}

/** A JSON-number amount in minor units, or null when it is not a positive amount with the currency's decimals. */
function amountMinorOf(amount: unknown, currency: 'USD' | 'KHR'): number | null {
  try {
    return parseAmount(amount, currency, { noMax: true });
  } catch {
    return null;
  }
}
