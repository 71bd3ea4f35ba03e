import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { BakongKHQR, IndividualInfo, khqrData } from 'bakong-khqr';
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import * as QRCode from 'qrcode';
import { formatAmount } from '../common/money';
import { AppConfig } from '../config/config';
import { field, SandboxBackOffice } from './back-office';
import { SandboxFaults } from './faults';
import { SandboxPaymentsRepository } from './sandbox-payments.repository';
import { sendJson } from './page';

/**
 * The Bakong KHQR API service (seed 002) from its side of the wire, written from the document
 * alone (it does not import the provider module):
 * - GET /api/khqr/create?bakong_id&merchantname&amount → {bakong_qr, md5, khqrString}: a real
 *   KHQR made with the official bakong-khqr SDK (a library, like the service would use), USD,
 *   expiring 15 minutes later; md5 is md5(khqrString); bakong_qr an image URL here.
 * - GET /api/khqr/check?md5&bakong_id → {success: true, status: PENDING | PAID | EXPIRED, bakong_id, amount}.
 *   PAID once /sandbox/control/pay recorded the md5; EXPIRED 15 minutes after creation.
 * The service answers failures (undocumented) as {success: false, message}.
 *
 * Sandbox rule: a bakong_id whose name starts with "unknown" is not a Bakong account, so create
 * answers success: false (this is how tests drive a refused create).
 */
const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

/** "QR codes expire after 15 minutes." */
export const QR_LIFETIME_MS = 15 * 60_000;
/** Created QR codes remembered per instance (for the image URL and md5s with no row yet). */
const REMEMBERED_MAX = 10_000;

interface CreatedQr {
  khqr: string;
  bakongId: string;
  amount: string;
  createdAt: number;
}

type Params = Record<string, string | undefined>;

@ApiExcludeController()
@Controller('sandbox/bakongapi')
export class BakongapiSimulator {
  private readonly created = new Map<string, CreatedQr>();

  constructor(
    private readonly backOffice: SandboxBackOffice,
    private readonly ledger: SandboxPaymentsRepository,
    private readonly faults: SandboxFaults,
    private readonly config: AppConfig,
  ) {}

  private remember(hash: string, qr: CreatedQr): void {
    if (this.created.size >= REMEMBERED_MAX) this.created.delete(this.created.keys().next().value!);
    this.created.set(hash, qr);
  }

  @Get('api/khqr/create')
  async create(@Query() q: Params, @Res() reply: FastifyReply) {
    if (await this.faults.apply('bakongapi', reply)) return;
    const { bakong_id: bakongId, merchantname, amount } = q;
    if (!bakongId || !merchantname || !amount) return sendJson(reply, 400, { success: false, message: 'bakong_id, merchantname and amount are required' });
    // "Payment amount in USD": a positive number with at most cents.
    if (!/^\d{1,10}(\.\d{1,2})?$/.test(amount) || Number(amount) <= 0) return sendJson(reply, 400, { success: false, message: 'Invalid amount' });
    if (/^unknown/i.test(bakongId)) return sendJson(reply, 200, { success: false, message: 'Bakong account not found' });
    const result = new BakongKHQR().generateIndividual(
      new IndividualInfo(bakongId, merchantname, 'Phnom Penh', { currency: khqrData.currency.usd, amount, expirationTimestamp: Date.now() + QR_LIFETIME_MS }),
    );
    if (result.status.code !== 0 || !result.data) return sendJson(reply, 400, { success: false, message: result.status.message ?? 'Could not generate KHQR' });
    const khqr = result.data.qr;
    const hash = md5(khqr);
    this.remember(hash, { khqr, bakongId, amount, createdAt: Date.now() });
    return sendJson(reply, 200, { bakong_qr: `${this.config.publicBaseUrl}/sandbox/bakongapi/bakong-qr?md5=${hash}`, md5: hash, khqrString: khqr });
  }

  @Get('api/khqr/check')
  async check(@Query() q: Params, @Res() reply: FastifyReply) {
    if (await this.faults.apply('bakongapi', reply)) return;
    const hash = (q.md5 ?? '').toLowerCase();
    const bakongId = q.bakong_id ?? '';
    if (!hash || !bakongId) return sendJson(reply, 400, { success: false, message: 'md5 and bakong_id are required' });
    // The orchestrator's transaction row is the service's record (shared by every instance); a QR
    // this instance made whose row does not exist yet is known from memory.
    const txn = await this.backOffice.transaction('bakongapi', hash);
    const account = txn ? await this.backOffice.account(txn, 'bakongapi') : null;
    const remembered = this.created.get(hash);
    const owner = txn ? field(account, 'bakong_id') : remembered?.bakongId;
    if (!owner || owner !== bakongId) return sendJson(reply, 404, { success: false, message: 'QR code not found' });
    const paid = await this.ledger.find('bakongapi', hash);
    const qrAmount = txn ? formatAmount(txn.amountMinor, txn.currency) : remembered!.amount;
    const createdAt = txn ? txn.createdAt.getTime() : remembered!.createdAt;
    const status = paid ? 'PAID' : Date.now() - createdAt >= QR_LIFETIME_MS ? 'EXPIRED' : 'PENDING';
    // amount is a JSON number, as in the document's sample ("amount": 10.5).
    return sendJson(reply, 200, { success: true, status, bakong_id: bakongId, amount: Number(paid ? paid.amount : qrAmount) });
  }

  /** The service's own QR image (bakong_qr). The orchestrator ignores it and renders its own. */
  @Get('bakong-qr')
  async image(@Query('md5') hash: string | undefined, @Res() reply: FastifyReply) {
    const qr = this.created.get((hash ?? '').toLowerCase());
    if (!qr) return sendJson(reply, 404, { success: false, message: 'QR code not found' });
    void reply
      .status(200)
      .header('content-type', 'image/png')
      .send(await QRCode.toBuffer(qr.khqr, { type: 'png', margin: 2, width: 200 }));
  }
}
