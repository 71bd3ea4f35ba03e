import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { MerchantBudgetAnswer, MerchantRateWindowsRepository } from '../checkout-pages/merchant-rate-windows.repository';
import { randomToken } from '../common/crypto';
import { formatAmount, MoneyError, parseAmount } from '../common/money';
import { problem, ProblemException } from '../common/problem';
import { scopeOf } from '../common/scope';
import { AppConfig } from '../config/config';
import { MerchantsRepository } from '../merchants/merchants.repository';
import { ProviderAccountsService } from '../merchants/provider-accounts.service';
import { OrdersService } from '../orders/orders.service';
import { ProviderId, ProviderRegistry } from '../providers/provider';
import { paymentLinkUrl } from './payment-link.presenter';
import { PAYMENT_LINKS_ERRORS } from './payment-links.errors';
import { PaymentLink, PaymentLinksRepository } from './payment-links.repository';
import { SLUG_PATTERN, slugHash } from './payment-links.service';

/**
 * Orders from a link expire sooner than the API default: an open order holds one of the link's
 * max_payments, so a customer who walks away (or someone tapping Pay to hold slots) frees it soon.
 */
export const LINK_ORDER_EXPIRES_IN_SECONDS = 900;
const CREATE_WINDOW_SECONDS = 60;

export type LinkState = 'open' | 'inactive' | 'expired' | 'used_up';

/** What the public page knows of a link: never the merchant's other data, never another link. */
export interface PublicLink {
  link: PaymentLink;
  merchantName: string;
  state: LinkState;
  /** The link's gateways this server knows, with their display names, in the link's order. */
  gateways: { id: ProviderId; name: string }[];
}

export type PayOutcome =
  | { kind: 'redirect'; url: string }
  | { kind: 'invalid'; amountError: 'amountBad' | 'amountOutOfRange' | null; gatewayError: boolean }
  | { kind: 'gone'; state: Exclude<LinkState, 'open'> }
  | { kind: 'busy' }
  | { kind: 'rate_limited'; retryAfterSeconds: number }
  | { kind: 'gateway_down' }
  | { kind: 'unavailable' };

/** The public side of payment links: finds a link by its slug and turns a Pay into an order through OrdersService. */
@Injectable()
export class LinkCheckoutService {
  private readonly logger = new Logger(LinkCheckoutService.name);

  constructor(
    private readonly links: PaymentLinksRepository,
    private readonly merchants: MerchantsRepository,
    private readonly accounts: ProviderAccountsService,
    private readonly registry: ProviderRegistry,
    private readonly orders: OrdersService,
    private readonly rateWindows: MerchantRateWindowsRepository,
    private readonly config: AppConfig,
  ) {}

  /** Null for a slug no link has (or that cannot be one, refused without a query). */
  async find(slug: string): Promise<PublicLink | null> {
    if (!SLUG_PATTERN.test(slug)) return null;
    const link = await this.links.findBySlugHash(slugHash(slug));
    if (!link) return null;
    const merchant = await this.merchants.findPublicProfile(link.merchantId);
    if (!merchant) return null;
    const gateways = link.providers.flatMap((id) => {
      const p = this.registry.get(id);
      return p ? [{ id: p.id, name: p.displayName }] : [];
    });
    return { link, merchantName: merchant.name, state: merchant.status === 'active' ? stateOf(link) : 'inactive', gateways };
  }

  /**
   * Origins the page's form may lead to besides ours: a Pay answers 303 to the order's checkout_url,
   * which is the gateway's own page for the hosted gateways (CSP form-action covers redirects).
   */
  async formOrigins(p: PublicLink): Promise<string[]> {
    const origins = new Set<string>();
    for (const { id } of p.gateways) {
      if (id === 'bakong' || id === 'bakongapi') continue;
      try {
        const account = await this.accounts.credentials(scopeOf(p.link), id);
        for (const [key, value] of Object.entries(account)) {
          if ((key === 'base_url' || key === 'client_base_url') && typeof value === 'string') origins.add(new URL(value).origin);
        }
      } catch {
        // No usable account any more: that gateway's orders are refused anyway.
      }
    }
    return [...origins];
  }

  /** One Pay: validates the form strictly, spends the merchant's budget, creates the order (admitted under the link's row lock). */
  async pay(p: PublicLink, form: { amount?: string; provider?: string }): Promise<PayOutcome> {
    const { link } = p;
    if (p.state !== 'open') return { kind: 'gone', state: p.state };
    let amountMinor = link.amountMinor;
    let amountError: 'amountBad' | 'amountOutOfRange' | null = null;
    if (amountMinor === null) {
      const text = (form.amount ?? '').trim();
      try {
        if (text.length > 20) throw new MoneyError('too long');
        amountMinor = parseAmount(text, link.currency);
        if (amountMinor < (link.amountMinMinor ?? 1) || amountMinor > (link.amountMaxMinor ?? Infinity)) amountError = 'amountOutOfRange';
      } catch (err) {
        if (!(err instanceof MoneyError)) throw err;
        amountError = 'amountBad';
      }
    }
    const provider = p.gateways.length === 1 && form.provider === undefined ? p.gateways[0].id : form.provider;
    const gatewayError = !provider || !p.gateways.some((g) => g.id === provider);
    if (amountError || gatewayError || amountMinor === null || !provider) return { kind: 'invalid', amountError, gatewayError };

    const budget = await this.takeBudget(link.merchantId, link.livemode);
    if (!budget.granted) {
      this.logger.warn({ merchantId: link.merchantId, paymentLinkId: link.id }, 'payment-link order cap reached');
      return { kind: 'rate_limited', retryAfterSeconds: budget.retryAfterSeconds };
    }
    try {
      // The link's own mode: a test-mode link's page creates test-mode orders (paid at the simulators).
      const order = await this.orders.create(
        scopeOf(link),
        {
          provider,
          amount: formatAmount(amountMinor, link.currency),
          currency: link.currency,
          reference: `${link.id}-${randomToken(9)}`,
          description: link.description,
          success_url: link.successUrl ?? undefined,
          cancel_url: paymentLinkUrl(this.config.publicBaseUrl, link.slug),
          metadata: link.metadata ?? undefined,
          expires_in: LINK_ORDER_EXPIRES_IN_SECONDS,
        },
        { paymentLinkId: link.id, admit: (manager) => this.admit(manager, link.id) },
      );
      return { kind: 'redirect', url: order.checkout_url ?? `${this.config.publicBaseUrl}/pay/${order.id}` };
    } catch (err) {
      if (!(err instanceof ProblemException)) throw err;
      this.logger.warn({ paymentLinkId: link.id, code: err.code, detail: err.detail }, 'payment-link order not created');
      if (err.code === PAYMENT_LINKS_ERRORS.link_gone.code) return { kind: 'gone', state: goneState(link) };
      if (err.code === PAYMENT_LINKS_ERRORS.payments_in_progress.code) return { kind: 'busy' };
      return err.status >= 500 ? { kind: 'gateway_down' } : { kind: 'unavailable' };
    }
  }

  /**
   * Inside the order's insert transaction, under the link's row lock: the link must still be active and
   * unexpired, and its PAID orders plus its open ones must leave room for one more under max_payments.
   */
  private async admit(manager: EntityManager, linkId: string): Promise<void> {
    const c = await this.links.lockCapacity(manager, linkId);
    if (!c.active || c.expired || (c.maxPayments !== null && c.paymentsCount >= c.maxPayments)) {
      throw problem(PAYMENT_LINKS_ERRORS.link_gone, 'the payment link is deactivated, expired or used up');
    }
    if (c.maxPayments !== null && c.paymentsCount + c.openOrders >= c.maxPayments) {
      throw problem(PAYMENT_LINKS_ERRORS.payments_in_progress, 'every remaining payment of the link is being paid right now');
    }
  }

  /** Test-mode links have a budget of their own, so test traffic can never use up the live links' cap. */
  private takeBudget(merchantId: string, livemode: boolean): Promise<MerchantBudgetAnswer> {
    return this.rateWindows.takeBudget(
      merchantId,
      livemode ? 'payment_link_create' : 'payment_link_create_test',
      this.config.paymentLinkOrdersPerMerchantPerMin,
      CREATE_WINDOW_SECONDS,
    );
  }
}

function stateOf(link: PaymentLink): LinkState {
  if (!link.active) return 'inactive';
  if (link.expiresAt && link.expiresAt.getTime() <= Date.now()) return 'expired';
  if (link.maxPayments !== null && link.paymentsCount >= link.maxPayments) return 'used_up';
  return 'open';
}

/** Why admission refused a link that was open when read: used up by the payments that got in first, unless it was deactivated or expired meanwhile (read again then). */
function goneState(link: PaymentLink): Exclude<LinkState, 'open'> {
  const state = stateOf(link);
  return state === 'open' ? 'used_up' : state;
}
