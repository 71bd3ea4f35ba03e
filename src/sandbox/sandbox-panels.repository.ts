import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

export type SandboxPanel = 'perfectpanel' | 'socpanel';

export interface PanelPayment {
  id: string;
  username: string;
  amount: string;
  method: string | null;
  memo: string | null;
  createdAt: Date;
}

/** The simulated SMM panels' own tables, written together: sandbox_panel_payments and the balances in sandbox_panel_users. */
@Injectable()
export class SandboxPanelsRepository {
  constructor(private readonly db: DataSource) {}

  /** Adds a payment and the balance in one transaction; returns the payment id and the new balance (minor units). */
  async addPayment(
    panel: SandboxPanel,
    merchantId: string,
    p: { username: string; amountMinor: number; amount: string; method: string | null; memo: string | null },
  ): Promise<{ id: string; balanceMinor: number }> {
    return this.db.transaction(async (m: EntityManager) => {
      const [payment]: { id: string }[] = await m.query(
        `INSERT INTO sandbox_panel_payments (panel, merchant_id, username, amount, method, memo) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
        [panel, merchantId, p.username, p.amount, p.method, p.memo],
      );
      const [user]: { balance_minor: string }[] = await m.query(
        `INSERT INTO sandbox_panel_users (panel, merchant_id, username, balance_minor) VALUES ($1, $2, $3, $4)
         ON CONFLICT (panel, merchant_id, username) DO UPDATE SET balance_minor = sandbox_panel_users.balance_minor + EXCLUDED.balance_minor
         RETURNING balance_minor`,
        [panel, merchantId, p.username, p.amountMinor],
      );
      return { id: String(payment.id), balanceMinor: Number(user.balance_minor) };
    });
  }

  async payments(panel: SandboxPanel, merchantId: string, username: string | null, limit: number): Promise<PanelPayment[]> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT id, username, amount, method, memo, created_at FROM sandbox_panel_payments
       WHERE panel = $1 AND merchant_id = $2 AND ($3::text IS NULL OR username = $3) ORDER BY id DESC LIMIT $4`,
      [panel, merchantId, username, limit],
    );
    return rows.map((r) => ({
      id: String(r.id),
      username: String(r.username),
      amount: String(r.amount),
      method: (r.method as string | null) ?? null,
      memo: (r.memo as string | null) ?? null,
      createdAt: new Date(r.created_at as string),
    }));
  }

  async users(panel: SandboxPanel, merchantId: string, username: string | null): Promise<{ username: string; balanceMinor: number }[]> {
    const rows: { username: string; balance_minor: string }[] = await this.db.query(
      `SELECT username, balance_minor FROM sandbox_panel_users WHERE panel = $1 AND merchant_id = $2 AND ($3::text IS NULL OR username = $3) ORDER BY username LIMIT 100`,
      [panel, merchantId, username],
    );
    return rows.map((r) => ({ username: r.username, balanceMinor: Number(r.balance_minor) }));
  }
}
