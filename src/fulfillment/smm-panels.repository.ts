import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { SmmPanelType } from './smm-panel.dto';

/** A smm_panels row as stored (the API key sealed). */
export interface SmmPanelRow {
  merchant_id: string;
  type: SmmPanelType;
  api_url: string;
  api_key_sealed: string;
  enabled: boolean;
  provider: string | null;
  /** bigint columns: node-postgres reads them as decimal strings. */
  min_amount_minor: string;
  max_amount_minor: string;
  preset_amounts_minor: string[];
  updated_at: Date;
}

export interface SmmPanelWrite {
  merchantId: string;
  type: SmmPanelType;
  apiUrl: string;
  apiKeySealed: string;
  enabled: boolean;
  provider: string | null;
  minMinor: number;
  maxMinor: number;
  presetsMinor: number[];
}

/** The smm_panels table: one panel per merchant. */
@Injectable()
export class SmmPanelsRepository {
  constructor(private readonly db: DataSource) {}

  async find(merchantId: string): Promise<SmmPanelRow | null> {
    const rows: SmmPanelRow[] = await this.db.query(`SELECT * FROM smm_panels WHERE merchant_id = $1`, [merchantId]);
    return rows[0] ?? null;
  }

  /** Creates or replaces the merchant's panel. */
  async save(p: SmmPanelWrite): Promise<void> {
    await this.db.query(
      `INSERT INTO smm_panels (merchant_id, type, api_url, api_key_sealed, enabled, provider, min_amount_minor, max_amount_minor, preset_amounts_minor)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (merchant_id) DO UPDATE SET type = EXCLUDED.type, api_url = EXCLUDED.api_url, api_key_sealed = EXCLUDED.api_key_sealed,
         enabled = EXCLUDED.enabled, provider = EXCLUDED.provider, min_amount_minor = EXCLUDED.min_amount_minor,
         max_amount_minor = EXCLUDED.max_amount_minor, preset_amounts_minor = EXCLUDED.preset_amounts_minor, updated_at = now()`,
      [p.merchantId, p.type, p.apiUrl, p.apiKeySealed, p.enabled, p.provider, p.minMinor, p.maxMinor, p.presetsMinor],
    );
  }
}
