import { Injectable } from '@nestjs/common';
import { liveScope } from '../common/scope';
import { TOPUP_CURRENCY, TOPUP_DEFAULT_MAX_MINOR, TOPUP_DEFAULT_MIN_MINOR } from './topup-bounds';
import { SecretBox } from '../common/crypto';
import { formatAmount, MoneyError, parseAmount } from '../common/money';
import { AppConfig } from '../config/config';
import { ProviderAccountsRepository } from '../merchants/provider-accounts.repository';
import { maskSecret } from '../merchants/provider-accounts.service';
import { isProviderId, ProviderId, ProviderRegistry } from '../providers/provider';
import { COMMON_ERRORS, FieldError, problem, validationProblem } from '../common/problem';
import { PutSmmPanelDto, SMM_PANEL_TYPES, SmmPanelType, TOPUP_PROVIDER_ORDER } from './smm-panel.dto';
import { SmmPanelsRepository } from './smm-panels.repository';

export interface SmmPanelSettings {
  merchantId: string;
  type: SmmPanelType;
  /** No trailing slash. */
  apiUrl: string;
  apiKey: string;
  enabled: boolean;
  provider: string | null;
  /** The widget's bounds and one-tap amounts (USD minor units); never taken from the embed URL. */
  minMinor: number;
  maxMinor: number;
  presetsMinor: number[];
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
  min_amount: string;
  max_amount: string;
  preset_amounts: string[];
  /** Put this in the panel's iframe (add &u=…&e=… as the panel's embed code does). */
  widget_url: string;
  updated_at: string;
}

/** Sealed with the merchant id as associated data, so a key copied to another merchant's row does not open. */
export const smmPanelAad = (merchantId: string) => `${merchantId}:smm_panel`;

/** A merchant's SMM panel (PerfectPanel or SocPanel) for the top-up widget. The API key is write-only, encrypted at rest. */
@Injectable()
export class SmmPanelsService {
  private readonly box: SecretBox;

  constructor(
    private readonly repository: SmmPanelsRepository,
    private readonly providerAccounts: ProviderAccountsRepository,
    private readonly registry: ProviderRegistry,
    private readonly config: AppConfig,
  ) {
    this.box = new SecretBox(config.encryptionKey);
  }

  async get(merchantId: string): Promise<SmmPanelSettings | null> {
    const row = await this.repository.find(merchantId);
    if (!row) return null;
    return {
      merchantId,
      type: row.type,
      apiUrl: row.api_url,
      apiKey: this.box.open(row.api_key_sealed, smmPanelAad(merchantId)),
      enabled: row.enabled,
      provider: row.provider,
      minMinor: Number(row.min_amount_minor),
      maxMinor: Number(row.max_amount_minor),
      presetsMinor: row.preset_amounts_minor.map(Number),
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
    const amounts = topupAmounts(dto, existing);
    await this.repository.save({
      merchantId,
      type: dto.type,
      apiUrl,
      apiKeySealed: this.box.seal(apiKey, smmPanelAad(merchantId)),
      enabled: dto.enabled,
      provider: dto.provider ?? null,
      ...amounts,
    });
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
      min_amount: formatAmount(s.minMinor, TOPUP_CURRENCY),
      max_amount: formatAmount(s.maxMinor, TOPUP_CURRENCY),
      preset_amounts: s.presetsMinor.map((p) => formatAmount(p, TOPUP_CURRENCY)),
      // The query is there because the panel's embed script appends "&u=…&e=…"; the amount is only the pre-filled suggestion.
      widget_url: `${this.config.publicBaseUrl}/topup/${merchantId}?amount=${formatAmount(Math.min(Math.max(1000, s.minMinor), s.maxMinor), TOPUP_CURRENCY)}`,
      updated_at: s.updatedAt.toISOString(),
    };
  }

  /** The gateway for top-up orders: the panel's own choice, else the first configured in order bakong, bakongapi, raksmeypay, ahnajak. */
  async effectiveProvider(s: SmmPanelSettings): Promise<ProviderId | null> {
    const providers = await this.providerAccounts.configuredProviders(liveScope(s.merchantId));
    const configured = new Set(providers.filter((p): p is ProviderId => this.registry.get(p) !== undefined));
    if (s.provider) return isProviderId(s.provider) && configured.has(s.provider) ? s.provider : null;
    return TOPUP_PROVIDER_ORDER.find((p) => configured.has(p)) ?? null;
  }

  /** 404 problem for the merchant API when nothing is stored. */
  async require(merchantId: string): Promise<SmmPanelView> {
    const view = await this.view(merchantId);
    if (!view) throw problem(COMMON_ERRORS.not_found, 'no SMM panel is configured; PUT /v1/smm-panel first');
    return view;
  }
}

/**
 * The widget's bounds and presets from a PUT: decimal strings (or JSON numbers) at the edge,
 * USD minor units inside; an omitted field keeps the stored value (else the default). Every
 * problem is reported at once; min ≤ max and every preset within them, or nothing is stored.
 */
function topupAmounts(dto: PutSmmPanelDto, existing: SmmPanelSettings | null): { minMinor: number; maxMinor: number; presetsMinor: number[] } {
  const errors: FieldError[] = [];
  const parse = (field: string, value: unknown): number => {
    try {
      return parseAmount(value, TOPUP_CURRENCY);
    } catch (err) {
      if (!(err instanceof MoneyError)) throw err;
      errors.push({ field, message: `${field}: ${err.message}` });
      return NaN;
    }
  };
  const minMinor = dto.min_amount === undefined ? (existing?.minMinor ?? TOPUP_DEFAULT_MIN_MINOR) : parse('min_amount', dto.min_amount);
  const maxMinor = dto.max_amount === undefined ? (existing?.maxMinor ?? TOPUP_DEFAULT_MAX_MINOR) : parse('max_amount', dto.max_amount);
  const presetsMinor = dto.preset_amounts === undefined ? (existing?.presetsMinor ?? []) : dto.preset_amounts.map((p, i) => parse(`preset_amounts[${i}]`, p));
  if (!errors.length) {
    if (minMinor > maxMinor) errors.push({ field: 'max_amount', message: 'max_amount must not be below min_amount' });
    presetsMinor.forEach((p, i) => {
      if (p < minMinor || p > maxMinor)
        errors.push({ field: `preset_amounts[${i}]`, message: `preset_amounts[${i}] must be between min_amount and max_amount` });
    });
    if (new Set(presetsMinor).size !== presetsMinor.length) errors.push({ field: 'preset_amounts', message: 'preset_amounts must not repeat an amount' });
  }
  if (errors.length) throw validationProblem(errors);
  return { minMinor, maxMinor, presetsMinor: [...presetsMinor].sort((a, b) => a - b) };
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
