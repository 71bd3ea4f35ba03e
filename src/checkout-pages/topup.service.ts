import { Injectable } from '@nestjs/common';
import { liveScope } from '../common/scope';
import { looksLikeId } from '../common/ids';
import { AppConfig } from '../config/config';
import { SmmPanelsService } from '../fulfillment/smm-panels.service';
import { MerchantsRepository } from '../merchants/merchants.repository';
import { ProviderAccountsService } from '../merchants/provider-accounts.service';
import { OrdersRepository } from '../orders/orders.repository';
import { ProviderId } from '../providers/provider';
import { MerchantBudgetAnswer, MerchantRateWindowsRepository } from './merchant-rate-windows.repository';
import { TOPUP_CURRENCY, TOPUP_SOURCE, TopupBounds } from './topup.rules';

/** A PENDING top-up order is handed out again only while at least this long remains to pay it. */
export const TOPUP_REUSE_MIN_REMAINING_SECONDS = 300;
/** The window of TOPUP_ORDERS_PER_MERCHANT_PER_MIN. */
const TOPUP_CREATE_WINDOW_SECONDS = 60;

export interface WidgetContext extends TopupBounds {
  merchantName: string;
  provider: ProviderId;
  /** The merchant's one-tap amounts; empty: round amounts within the bounds. */
  presetsMinor: number[];
  /** Origin the form may lead to besides ours (a hosted gateway page the POST redirects to). */
  gatewayOrigin: string | null;
}

/** What the top-up widget reads and limits: the merchant's widget settings, its open top-up orders, its order-creation budget. */
@Injectable()
export class TopupService {
  constructor(
    private readonly merchants: MerchantsRepository,
    private readonly orders: OrdersRepository,
    private readonly rateWindows: MerchantRateWindowsRepository,
    private readonly panels: SmmPanelsService,
    private readonly accounts: ProviderAccountsService,
    private readonly config: AppConfig,
  ) {}

  /** The merchant, its panel and the gateway to use; null when the widget is unavailable. */
  async context(merchantId: string): Promise<WidgetContext | null> {
    if (!looksLikeId('mer', merchantId)) return null;
    const merchant = await this.merchants.findPublicProfile(merchantId);
    if (!merchant || merchant.status !== 'active') return null;
    const panel = await this.panels.get(merchantId);
    if (!panel?.enabled) return null;
    const provider = await this.panels.effectiveProvider(panel);
    if (!provider) return null;
    let gatewayOrigin: string | null = null;
    if (provider === 'raksmeypay' || provider === 'ahnajak') {
      const account = await this.accounts.credentials(liveScope(merchantId), provider);
      gatewayOrigin = new URL(account.base_url).origin;
    }
    return { merchantName: merchant.name, provider, gatewayOrigin, minMinor: panel.minMinor, maxMinor: panel.maxMinor, presetsMinor: panel.presetsMinor };
  }

  /** The panel user's PENDING top-up order for this amount on this gateway, while enough time is left to pay it. */
  openOrder(merchantId: string, provider: ProviderId, user: string, amountMinor: number): Promise<{ id: string; checkout_url: string | null } | null> {
    return this.orders.findOpenTopup({
      merchantId,
      provider,
      currency: TOPUP_CURRENCY,
      amountMinor,
      source: TOPUP_SOURCE,
      user,
      minRemainingSeconds: TOPUP_REUSE_MIN_REMAINING_SECONDS,
    });
  }

  /** One unit of the merchant's cap on new top-up orders (TOPUP_ORDERS_PER_MERCHANT_PER_MIN, across instances). */
  takeCreateBudget(merchantId: string): Promise<MerchantBudgetAnswer> {
    return this.rateWindows.takeBudget(merchantId, 'topup_create', this.config.topupOrdersPerMerchantPerMin, TOPUP_CREATE_WINDOW_SECONDS);
  }
}
