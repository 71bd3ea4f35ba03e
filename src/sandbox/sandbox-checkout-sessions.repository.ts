import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** A hosted-checkout session as the simulated gateway keeps it. */
export interface CheckoutSession {
  trxId: string;
  merchantId: string;
  amount: string;
  successUrl: string;
  cancelUrl: string;
  cancelled: boolean;
}

export interface NewCheckoutSession {
  trxId: string;
  merchantId: string;
  amount: string;
  customerName: string | null;
  customerEmail: string | null;
  successUrl: string;
  cancelUrl: string;
  metaData: string | null;
}

/** The sandbox_checkout_sessions table: the simulated hosted checkout's payment sessions, shared by every app instance. */
@Injectable()
export class SandboxCheckoutSessionsRepository {
  constructor(private readonly db: DataSource) {}

  async find(trxId: string): Promise<CheckoutSession | null> {
    const rows: Record<string, unknown>[] = await this.db.query(`SELECT * FROM sandbox_checkout_sessions WHERE trx_id = $1`, [trxId]);
    const r = rows[0];
    return r
      ? {
          trxId: String(r.trx_id),
          merchantId: String(r.merchant_id),
          amount: String(r.amount),
          successUrl: String(r.success_url),
          cancelUrl: String(r.cancel_url),
          cancelled: r.cancelled_at !== null,
        }
      : null;
  }

  async create(s: NewCheckoutSession): Promise<void> {
    await this.db.query(
      `INSERT INTO sandbox_checkout_sessions (trx_id, merchant_id, amount, customer_name, customer_email, success_url, cancel_url, meta_data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [s.trxId, s.merchantId, s.amount, s.customerName, s.customerEmail, s.successUrl, s.cancelUrl, s.metaData],
    );
  }

  /** The customer cancelled; the first cancellation's time is kept. */
  async cancel(trxId: string): Promise<void> {
    await this.db.query(`UPDATE sandbox_checkout_sessions SET cancelled_at = COALESCE(cancelled_at, now()) WHERE trx_id = $1`, [trxId]);
  }
}
