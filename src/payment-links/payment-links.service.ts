import { Injectable } from '@nestjs/common';
import * as QRCode from 'qrcode';
import type { EntityManager } from 'typeorm';
import { randomToken, sha256Hex } from '../common/crypto';
import { newId } from '../common/ids';
import { Currency, MAX_AMOUNT_MINOR, MoneyError, parseAmount } from '../common/money';
import { FieldError, notFound, problem, validationProblem } from '../common/problem';
import { Scope, scopeOf } from '../common/scope';
import { renderQrPng } from '../checkout-pages/qr-png';
import { AppConfig } from '../config/config';
import { ProviderAccountsRepository } from '../merchants/provider-accounts.repository';
import type { Order } from '../orders/order.entity';
import { PaidOrderHook } from '../orders/order-hooks';
import { ProviderRegistry } from '../providers/provider';
import { PaymentLinkView, presentPaymentLink } from './payment-link.presenter';
import { CreatePaymentLinkDto } from './payment-links.dto';
import { PAYMENT_LINKS_ERRORS } from './payment-links.errors';
import { PaymentLinksRepository } from './payment-links.repository';

/** Random bytes of a slug: 12 bytes are 16 base64url characters (96 bits), far beyond enumeration. */
export const SLUG_BYTES = 12;
/** What a slug can look like; anything else is refused without a query. */
export const SLUG_PATTERN = /^[A-Za-z0-9_-]{16}$/;
/** Large enough to print on a poster and scan from across a counter. */
const QR_PNG_WIDTH = 1024;
export const slugHash = (slug: string): string => sha256Hex(`payment_link:${slug}`);

/**
 * Payment links for the merchant API (create, read, deactivate), and the tally kept on them: bound
 * as the orders' PaidOrderHook, it counts a link's PAID orders inside the transition's transaction.
 */
@Injectable()
export class PaymentLinksService implements PaidOrderHook {
  constructor(
    private readonly links: PaymentLinksRepository,
    private readonly accounts: ProviderAccountsRepository,
    private readonly registry: ProviderRegistry,
    private readonly config: AppConfig,
  ) {}

  async create(scope: Scope, dto: CreatePaymentLinkDto): Promise<PaymentLinkView> {
    const currency: Currency = dto.currency ?? 'USD';
    const errors: FieldError[] = [];
    const amount = (field: string, value: unknown): number | null => {
      if (value === undefined) return null;
      try {
        return parseAmount(value, currency);
      } catch (err) {
        if (!(err instanceof MoneyError)) throw err;
        errors.push({ field, message: err.message });
        return null;
      }
    };
    const fixed = amount('amount', dto.amount);
    let min = amount('amount_min', dto.amount_min);
    let max = amount('amount_max', dto.amount_max);
    if (dto.amount !== undefined && (dto.amount_min !== undefined || dto.amount_max !== undefined)) {
      errors.push({ field: 'amount', message: 'give either amount (fixed) or amount_min/amount_max (customer-chosen), not both' });
    }
    if (dto.amount === undefined) {
      // Defaults: the smallest unit (0.01 USD, 1 KHR) up to the per-order maximum.
      min ??= dto.amount_min === undefined ? 1 : null;
      max ??= dto.amount_max === undefined ? MAX_AMOUNT_MINOR[currency] : null;
      if (min !== null && max !== null && min > max) errors.push({ field: 'amount_min', message: 'amount_min must not be above amount_max' });
    }
    let expiresAt: Date | null = null;
    if (dto.expires_at !== undefined) {
      expiresAt = new Date(dto.expires_at);
      if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now())
        errors.push({ field: 'expires_at', message: 'expires_at must be in the future' });
    }
    if (errors.length) throw validationProblem(errors);
    const providers = await this.choiceOfGateways(scope, currency, dto.providers);

    const slug = randomToken(SLUG_BYTES);
    const link = await this.links.insert({
      id: newId('plink'),
      merchantId: scope.merchantId,
      livemode: scope.livemode,
      slug,
      slugHash: slugHash(slug),
      description: dto.description,
      currency,
      amountMinor: fixed,
      amountMinMinor: fixed === null ? min : null,
      amountMaxMinor: fixed === null ? max : null,
      providers,
      maxPayments: dto.max_payments ?? null,
      expiresAt,
      successUrl: dto.success_url ?? null,
      metadata: dto.metadata ?? null,
      createdAt: new Date(),
    });
    return this.present(link);
  }

  /**
   * The gateways of a new link: those asked for, each of which must have the merchant's account and
   * accept the currency; by default every such gateway the merchant has, in the registry's order. In
   * test mode every gateway counts as configured: a simulated account stands in where there is none.
   */
  private async choiceOfGateways(scope: Scope, currency: Currency, asked: string[] | undefined): Promise<string[]> {
    const configured = new Set(scope.livemode ? await this.accounts.configuredProviders(scope) : this.registry.all().map((p) => p.id));
    const fits = (id: string) => {
      const p = this.registry.get(id);
      return p && configured.has(id) && p.capabilities.currencies.includes(currency);
    };
    if (asked) {
      const unique = [...new Set(asked)];
      const bad = unique.filter((id) => !fits(id));
      if (bad.length) {
        throw validationProblem(
          bad.map((id) => ({
            field: 'providers',
            message: configured.has(id) ? `${id} does not accept ${currency}` : `${id}: the merchant has no account for it (PUT /v1/provider-accounts/${id})`,
          })),
        );
      }
      return unique;
    }
    const all = this.registry
      .all()
      .map((p) => p.id)
      .filter(fits);
    if (!all.length)
      throw problem(
        PAYMENT_LINKS_ERRORS.no_gateway,
        `no gateway account of this merchant accepts ${currency}; configure one with PUT /v1/provider-accounts/{provider}`,
      );
    return all;
  }

  async get(scope: Scope, id: string): Promise<PaymentLinkView> {
    const link = await this.links.findForMerchant(scope, id);
    if (!link) throw notFound('payment link');
    return this.present(link);
  }

  async list(scope: Scope, limit = 20, startingAfter?: string): Promise<{ data: PaymentLinkView[]; has_more: boolean }> {
    const rows = await this.links.list(scope, limit, startingAfter);
    return { data: rows.slice(0, limit).map((l) => this.present(l)), has_more: rows.length > limit };
  }

  /** Idempotent: a deactivated link stays deactivated; orders it already created are not touched. */
  async deactivate(scope: Scope, id: string): Promise<PaymentLinkView> {
    const link = await this.links.deactivate(scope, id);
    if (!link) throw notFound('payment link');
    return this.present(link);
  }

  /** The link's url as a QR code for printing: PNG (1024 px, black and white) or SVG. */
  async qrPng(scope: Scope, id: string): Promise<Buffer> {
    return renderQrPng((await this.get(scope, id)).url, { width: QR_PNG_WIDTH, margin: 4, errorCorrectionLevel: 'M' });
  }

  async qrSvg(scope: Scope, id: string): Promise<string> {
    return QRCode.toString((await this.get(scope, id)).url, { type: 'svg', errorCorrectionLevel: 'M', margin: 4 });
  }

  /** PaidOrderHook: one more PAID order for the order's link, in the transition's database transaction. */
  async orderPaid(manager: EntityManager, order: Order): Promise<void> {
    if (!order.paymentLinkId) return;
    await this.links.countPaid(manager, scopeOf(order), order.paymentLinkId, order.paidAmountMinor ?? order.amountMinor);
  }

  private present(link: Parameters<typeof presentPaymentLink>[0]): PaymentLinkView {
    return presentPaymentLink(link, this.config.publicBaseUrl);
  }
}
