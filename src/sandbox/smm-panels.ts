import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { constantTimeEqual, SecretBox } from '../common/crypto';
import { AppConfig } from '../config/config';
import { SandboxBackOffice } from './back-office';

export type SandboxPanel = 'perfectpanel' | 'socpanel';

export interface PanelPayment {
  id: string;
  username: string;
  amount: string;
  method: string | null;
  memo: string | null;
  createdAt: Date;
}

/**
 * The simulated SMM panels' own state, shared by the PerfectPanel and SocPanel simulators:
 * which merchant a presented API key belongs to (read from the merchant's stored panel
 * settings, the way a real panel knows its own admin keys), users' balances and the payment
 * list. In the database, so several app instances share it. Read-only towards the product's
 * tables; independent of the fulfillment module's code.
 */
@Injectable()
export class SandboxPanels {
  private readonly box: SecretBox;

  constructor(
    private readonly db: DataSource,
    config: AppConfig,
    private readonly backOffice: SandboxBackOffice,
  ) {
    this.box = new SecretBox(config.encryptionKey);
  }

  /** The merchant whose panel of this type has this API key and points at the sandbox (a real panel's keys are not ours to check), or null. */
  async merchantForKey(panel: SandboxPanel, apiKey: string): Promise<string | null> {
    if (!apiKey) return null;
    const rows: { merchant_id: string; api_key_sealed: string; api_url: string }[] = await this.db.query(
      `SELECT merchant_id, api_key_sealed, api_url FROM smm_panels WHERE type = $1 ORDER BY merchant_id`,
      [panel],
    );
    for (const row of rows) {
      if (!this.backOffice.pointsAtSandbox(row.api_url)) continue;
      let key: string;
      try {
        key = this.box.open(row.api_key_sealed, `${row.merchant_id}:smm_panel`);
      } catch {
        continue;
      }
      if (constantTimeEqual(key, apiKey)) return row.merchant_id;
    }
    return null;
  }

  /** Adds a payment and the balance in one transaction; returns the payment id and the new balance (minor units). */
  async addPayment(panel: SandboxPanel, merchantId: string, p: { username: string; amountMinor: number; amount: string; method: string | null; memo: string | null }): Promise<{ id: string; balanceMinor: number }> {
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

/** A panel amount ("12.50", "12.5", 12.5) to cents; null when it is not a positive amount with at most 2 decimals. */
export function panelAmountMinor(value: unknown): number | null {
  const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : typeof value === 'string' ? value.trim() : '';
  const m = /^(\d{1,9})(?:\.(\d{1,2}))?$/.exec(text);
  if (!m) return null;
  const minor = Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0') || '0');
  return minor > 0 ? minor : null;
}

export const centsText = (minor: number): string => `${Math.floor(minor / 100)}.${String(minor % 100).padStart(2, '0')}`;
