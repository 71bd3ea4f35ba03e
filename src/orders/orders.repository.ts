import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { ProviderId } from '../providers/provider';
import { Order } from './order.entity';

/** The public pages' reads of the orders table (hosted pay page, QR image, top-up widget). */
@Injectable()
export class OrdersRepository {
  constructor(private readonly db: DataSource) {}

  /** By its id alone, for pages where the unguessable id is the capability. */
  findById(orderId: string): Promise<Order | null> {
    return this.db.getRepository(Order).findOneBy({ id: orderId });
  }

  /** The KHQR payload behind a public QR image token; null when no order with a KHQR has it. */
  async findQrByImageToken(token: string): Promise<{ payload: string; md5: string } | null> {
    const rows: { qr_payload: string; qr_md5: string }[] = await this.db.query(
      `SELECT qr_payload, qr_md5 FROM orders WHERE qr_image_token = $1 AND qr_payload IS NOT NULL`,
      [token],
    );
    return rows[0] ? { payload: rows[0].qr_payload, md5: rows[0].qr_md5 } : null;
  }

  /** A panel user's PENDING top-up order for this amount on this gateway that still has `minRemainingSeconds` to be paid, the latest-expiring first. */
  async findOpenTopup(q: {
    merchantId: string;
    provider: ProviderId;
    currency: string;
    amountMinor: number;
    source: string;
    user: string;
    minRemainingSeconds: number;
  }): Promise<{ id: string; checkout_url: string | null } | null> {
    const rows: { id: string; checkout_url: string | null }[] = await this.db.query(
      `SELECT id, checkout_url FROM orders
        WHERE merchant_id = $1 AND status = 'PENDING' AND provider = $2 AND currency = $3 AND amount_minor = $4
          AND metadata->>'source' = $5 AND metadata->>'smm_user' = $6 AND expires_at > now() + make_interval(secs => $7)
        ORDER BY expires_at DESC LIMIT 1`,
      [q.merchantId, q.provider, q.currency, q.amountMinor, q.source, q.user, q.minRemainingSeconds],
    );
    return rows[0] ?? null;
  }
}
