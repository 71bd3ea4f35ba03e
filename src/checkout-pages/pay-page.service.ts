import { Injectable, Logger } from '@nestjs/common';
import { looksLikeId } from '../common/ids';
import { AppConfig } from '../config/config';
import { MerchantsRepository } from '../merchants/merchants.repository';
import { Order } from '../orders/order.entity';
import { OrdersRepository } from '../orders/orders.repository';
import { PaymentVerifier } from '../orders/payment-verifier.service';
import { TransactionsRepository } from '../orders/transactions.repository';
import { ProviderRegistry } from '../providers/provider';
import { MerchantRateWindowsRepository } from './merchant-rate-windows.repository';

/** GET /pay/{orderId}/status: what the page needs, nothing more (no customer data, no references, no secrets). */
export interface PayStatusView {
  object: 'pay_status';
  order_id: string;
  status: string;
  paid: boolean;
  expires_at: string;
  /** The order's success_url once it is PAID, else null. */
  redirect_url: string | null;
  /** The order's cancel_url once it can no longer be paid here (cancelled, failed, expired, or PENDING past expires_at), else null. */
  cancel_url: string | null;
}

export interface PayPageOrder {
  order: Order;
  merchantName: string;
}

/** A page poll may ask the gateway at most once per order in this window, across every instance. */
export const PAGE_CHECK_INTERVAL_SECONDS = 3;
/** How long a poll waits for that gateway answer before replying with what it knows. */
export const PAGE_CHECK_WAIT_MS = 2_000;
/** Past expires_at by more than this, a poll no longer asks the gateway (the sweeper owns late payments). */
export const PAGE_CHECK_GRACE_MS = 10 * 60_000;

@Injectable()
export class PayPageService {
  private readonly logger = new Logger(PayPageService.name);

  constructor(
    private readonly orders: OrdersRepository,
    private readonly merchants: MerchantsRepository,
    private readonly transactions: TransactionsRepository,
    private readonly rateWindows: MerchantRateWindowsRepository,
    private readonly registry: ProviderRegistry,
    private readonly verifier: PaymentVerifier,
    private readonly config: AppConfig,
  ) {}

  /** The order by its id alone: the unguessable id in the URL is the capability. */
  async find(orderId: string): Promise<PayPageOrder | null> {
    if (!looksLikeId('ord', orderId)) return null;
    const order = await this.orders.findById(orderId);
    if (!order) return null;
    const merchant = await this.merchants.findPublicProfile(order.merchantId);
    return { order, merchantName: merchant?.name ?? '' };
  }

  /**
   * The single source of what the page may reveal, used for the status JSON and the page's
   * HTML alike: success_url only once PAID (a merchant that fulfils on a visit to it must not
   * be reachable before payment), cancel_url only once the order cannot be paid here.
   */
  statusView(order: Order, now: Date): PayStatusView {
    const closed =
      order.status === 'EXPIRED' ||
      order.status === 'CANCELLED' ||
      order.status === 'FAILED' ||
      (order.status === 'PENDING' && order.expiresAt.getTime() <= now.getTime());
    return {
      object: 'pay_status',
      order_id: order.id,
      status: order.status,
      paid: order.status === 'PAID',
      expires_at: order.expiresAt.toISOString(),
      redirect_url: order.status === 'PAID' ? order.successUrl : null,
      cancel_url: closed ? order.cancelUrl : null,
    };
  }

  /**
   * While the page is open, ask the gateway about a PENDING order — at most once per
   * PAGE_CHECK_INTERVAL_SECONDS per order. The throttle is a conditional UPDATE on
   * transactions.last_checked_at, so it holds across instances: whoever moves the timestamp
   * makes the call, everyone else just reads. The caller that won that claim then takes one
   * unit of the merchant's budget (PAGE_CHECKS_PER_MERCHANT_PER_S, shared by all instances):
   * the public page cannot be used to drive a merchant's gateway calls past it, however many
   * orders are polled; over it the poll answers the stored status. Waits up to PAGE_CHECK_WAIT_MS for the answer;
   * a slow gateway finishes in the background and the next poll sees the result.
   */
  async checkNow(order: Order, now = new Date()): Promise<Order> {
    if (order.status !== 'PENDING') return order;
    if (now.getTime() > order.expiresAt.getTime() + PAGE_CHECK_GRACE_MS) return order;
    if (!this.registry.get(order.provider)?.verify) return order;
    const claimedId = await this.transactions.claimPageCheck(order.id, PAGE_CHECK_INTERVAL_SECONDS);
    if (!claimedId) return order;
    if (!(await this.rateWindows.takeBudget(order.merchantId, 'page_check', this.config.pageChecksPerMerchantPerS, 1)).granted) return order;
    const txn = await this.transactions.findById(claimedId);
    if (!txn) return order;
    const check = this.verifier.verifyOne(txn, 'pay_page').then(
      () => true,
      (err: unknown) => {
        // verifyOne has recorded the failure on the transaction; the page just keeps polling.
        this.logger.warn({ orderId: order.id, err: (err as Error)?.message }, 'pay page check failed');
        return false;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), PAGE_CHECK_WAIT_MS);
      timer.unref();
    });
    await Promise.race([check, waited]);
    clearTimeout(timer);
    return (await this.orders.findById(order.id)) ?? order;
  }
}
