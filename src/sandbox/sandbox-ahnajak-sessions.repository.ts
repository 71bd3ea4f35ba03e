import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** An Ahnajak hosted-checkout session as the simulated gateway keeps it. */
export interface AhnajakSession {
  txId: string;
  merchantId: string;
  profileId: string;
  transactionId: string;
  amount: string;
  successUrl: string | null;
  remark: string | null;
  expiresAt: Date;
}

/** The sandbox_ahnajak_sessions table: the simulated Ahnajak checkout's sessions, one per (merchant, transaction_id), shared by every app instance. */
@Injectable()
export class SandboxAhnajakSessionsRepository {
  constructor(private readonly db: DataSource) {}

  async find(txId: string): Promise<AhnajakSession | null> {
    const rows: Record<string, unknown>[] = await this.db.query(`SELECT * FROM sandbox_ahnajak_sessions WHERE tx_id = $1`, [txId]);
    const r = rows[0];
    if (!r) return null;
    return {
      txId: String(r.tx_id),
      merchantId: String(r.merchant_id),
      profileId: String(r.profile_id),
      transactionId: String(r.transaction_id),
      amount: String(r.amount),
      successUrl: (r.success_url as string | null) ?? null,
      remark: (r.remark as string | null) ?? null,
      expiresAt: new Date(r.expires_at as string),
    };
  }

  /**
   * Opens a session lasting `seconds`, or finds the one already open for this merchant's
   * transaction_id (opening the same link again resumes it): its tx_id and the amount it was opened with.
   */
  async openOrResume(s: Omit<AhnajakSession, 'expiresAt'>, seconds: number): Promise<{ txId: string; amount: string }> {
    await this.db.query(
      `INSERT INTO sandbox_ahnajak_sessions (tx_id, merchant_id, profile_id, transaction_id, amount, success_url, remark, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now() + make_interval(secs => $8))
       ON CONFLICT (merchant_id, transaction_id) DO NOTHING`,
      [s.txId, s.merchantId, s.profileId, s.transactionId, s.amount, s.successUrl, s.remark, seconds],
    );
    const rows: { tx_id: string; amount: string }[] = await this.db.query(
      `SELECT tx_id, amount FROM sandbox_ahnajak_sessions WHERE merchant_id = $1 AND transaction_id = $2`,
      [s.merchantId, s.transactionId],
    );
    return { txId: rows[0].tx_id, amount: rows[0].amount };
  }
}
