import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SecretBox } from '../common/crypto';
import { AppConfig } from '../config/config';
import { maskSecret } from '../merchants/provider-accounts.service';
import { isProviderId, ProviderId, ProviderRegistry } from '../providers/provider';
import { ProblemException, validationProblem } from '../common/problem';
import { PutSmmPanelDto, SMM_PANEL_TYPES, SmmPanelType, TOPUP_PROVIDER_ORDER } from './smm-panel.dto';

export interface SmmPanelSettings {
  merchantId: string;
  type: SmmPanelType;
  /** No trailing slash. */
  apiUrl: string;
  apiKey: string;
  enabled: boolean;
  provider: string | null;
  updatedAt: Date;
}

export interface SmmPanelView {
  object: 'smm_panel';
  type: SmmPanelType;
  api_url: string;
  api_key: string;
  enabled: boolean;
  provider: string | null;
  /** The provider the widget uses now (the set one, else the first configured in order bakong, bakongapi, raksmeypay, ahnajak). */
  effective_provider: string | null;
  /** Put this in the panel's iframe (add &u=…&e=… as the panel's embed code does). */
  widget_url: string;
  updated_at: string;
}

/** Sealed with the merchant id as associated data, so a key copied to another merchant's row does not open. */
export const smmPanelAad = (merchantId: string) => `${merchantId}:smm_panel`;

interface PanelRow {
  merchant_id: string;
  type: SmmPanelType;
  api_url: string;
  api_key_sealed: string;
  enabled: boolean;
  provider: string | null;
  updated_at: Date;
}

/** A merchant's SMM panel (PerfectPanel or SocPanel) for the top-up widget. The API key is write-only, encrypted at rest. */
@Injectable()
export class SmmPanelsService {
  private readonly box: SecretBox;

  constructor(
    private readonly db: DataSource,
    private readonly registry: ProviderRegistry,
    private readonly config: AppConfig,
  ) {
    this.box = new SecretBox(config.encryptionKey);
  }

  async get(merchantId: string): Promise<SmmPanelSettings | null> {
    const rows: PanelRow[] = await this.db.query(`SELECT * FROM smm_panels WHERE merchant_id = $1`, [merchantId]);
    const row = rows[0];
    if (!row) return null;
    return {
      merchantId,
      type: row.type,
      apiUrl: row.api_url,
      apiKey: this.box.open(row.api_key_sealed, smmPanelAad(merchantId)),
      enabled: row.enabled,
      provider: row.provider,
      updatedAt: new Date(row.updated_at),
    };
  }

  async put(merchantId: string, dto: PutSmmPanelDto): Promise<SmmPanelView> {
    const apiUrl = normalizeApiUrl(dto.api_url);
    if (!apiUrl) throw validationProblem([{ field: 'api_url', message: 'api_url must be an absolute http(s) URL without credentials, query or fragment' }]);
    if (!SMM_PANEL_TYPES.includes(dto.type)) throw validationProblem([{ field: 'type', message: `type must be one of ${SMM_PANEL_TYPES.join(', ')}` }]);
    const existing = await this.get(merchantId);
    const apiKey = dto.api_key ?? existing?.apiKey;
    if (!apiKey) throw validationProblem([{ field: 'api_key', message: 'api_key is required (it may be omitted later to keep the stored one)' }]);
    if (dto.provider && !this.registry.get(dto.provider)) {
      throw validationProblem([{ field: 'provider', message: `provider ${dto.provider} is not available on this server` }]);
    }
    await this.db.query(
      `INSERT INTO smm_panels (merchant_id, type, api_url, api_key_sealed, enabled, provider) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (merchant_id) DO UPDATE SET type = EXCLUDED.type, api_url = EXCLUDED.api_url, api_key_sealed = EXCLUDED.api_key_sealed,
         enabled = EXCLUDED.enabled, provider = EXCLUDED.provider, updated_at = now()`,
      [merchantId, dto.type, apiUrl, this.box.seal(apiKey, smmPanelAad(merchantId)), dto.enabled, dto.provider ?? null],
    );
    return (await this.view(merchantId))!;
  }

  async view(merchantId: string): Promise<SmmPanelView | null> {
    const s = await this.get(merchantId);
    if (!s) return null;
    return {
      object: 'smm_panel',
      type: s.type,
      api_url: s.apiUrl,
      api_key: maskSecret(s.apiKey),
      enabled: s.enabled,
      provider: s.provider,
      effective_provider: await this.effectiveProvider(s),
      widget_url: `${this.config.publicBaseUrl}/topup/${merchantId}?amount=10&min=1&max=1000`,
      updated_at: s.updatedAt.toISOString(),
    };
  }

  /** The gateway for top-up orders: the panel's own choice, else the first configured in order bakong, bakongapi, raksmeypay, ahnajak. */
  async effectiveProvider(s: SmmPanelSettings): Promise<ProviderId | null> {
    const rows: { provider: string }[] = await this.db.query(`SELECT provider FROM provider_accounts WHERE merchant_id = $1`, [s.merchantId]);
    const configured = new Set(rows.map((r) => r.provider).filter((p): p is ProviderId => this.registry.get(p) !== undefined));
    if (s.provider) return isProviderId(s.provider) && configured.has(s.provider) ? s.provider : null;
    return TOPUP_PROVIDER_ORDER.find((p) => configured.has(p)) ?? null;
  }

  /** 404 problem for the merchant API when nothing is stored. */
  async require(merchantId: string): Promise<SmmPanelView> {
    const view = await this.view(merchantId);
    if (!view) throw new ProblemException(404, 'not_found', 'no SMM panel is configured; PUT /v1/smm-panel first');
    return view;
  }
}

/** "https://panel.example.com/" -> "https://panel.example.com"; null when not a plain http(s) base URL. */
export function normalizeApiUrl(value: string): string | null {
  try {
    const u = new URL(value);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return null;
    if (u.username || u.password || u.search || u.hash) return null;
    return `${u.origin}${u.pathname}`.replace(/\/+$/, '');
  } catch {
    return null;
  }
}
