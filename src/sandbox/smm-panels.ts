import { Injectable } from '@nestjs/common';
import { constantTimeEqual, SecretBox } from '../common/crypto';
import { AppConfig } from '../config/config';
import { SandboxBackOffice } from './back-office';
import { SandboxBackOfficeRepository } from './back-office.repository';
import { PanelPayment, SandboxPanel, SandboxPanelsRepository } from './sandbox-panels.repository';

export type { PanelPayment, SandboxPanel };

/**
 * The simulated SMM panels' own state, shared by the PerfectPanel and SocPanel simulators:
 * which merchant a presented API key belongs to (read from the merchant's stored panel
 * settings through the back-office port, the way a real panel knows its own admin keys), users'
 * balances and the payment list (sandbox-panels.repository.ts). In the database, so several app
 * instances share it. Read-only towards the product's tables; independent of the fulfillment module's code.
 */
@Injectable()
export class SandboxPanels {
  private readonly box: SecretBox;

  constructor(
    private readonly repository: SandboxPanelsRepository,
    private readonly registrations: SandboxBackOfficeRepository,
    config: AppConfig,
    private readonly backOffice: SandboxBackOffice,
  ) {
    this.box = new SecretBox(config.encryptionKey);
  }

  /** The merchant whose panel of this type has this API key and points at the sandbox (a real panel's keys are not ours to check), or null. */
  async merchantForKey(panel: SandboxPanel, apiKey: string): Promise<string | null> {
    if (!apiKey) return null;
    for (const row of await this.registrations.smmPanels(panel)) {
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
  addPayment(
    panel: SandboxPanel,
    merchantId: string,
    p: { username: string; amountMinor: number; amount: string; method: string | null; memo: string | null },
  ): Promise<{ id: string; balanceMinor: number }> {
    return this.repository.addPayment(panel, merchantId, p);
  }

  payments(panel: SandboxPanel, merchantId: string, username: string | null, limit: number): Promise<PanelPayment[]> {
    return this.repository.payments(panel, merchantId, username, limit);
  }

  users(panel: SandboxPanel, merchantId: string, username: string | null): Promise<{ username: string; balanceMinor: number }[]> {
    return this.repository.users(panel, merchantId, username);
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
