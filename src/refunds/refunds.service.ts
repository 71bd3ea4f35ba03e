import { Injectable } from '@nestjs/common';
import { AuditLogRepository } from '../audit/audit-log.repository';
import { Clock } from '../common/clock';
import { newId } from '../common/ids';
import { formatAmount, MoneyError, parseAmount } from '../common/money';
import { Page, toPage } from '../common/pagination';
import { notFound, problem, validationProblem } from '../common/problem';
import type { Scope } from '../common/scope';
import { AppConfig } from '../config/config';
import { OutboxWriter } from '../events/outbox.writer';
import { ProviderAccountsService } from '../merchants/provider-accounts.service';
import { Order } from '../orders/order.entity';
import { presentOrder } from '../orders/order.presenter';
import { OrdersRepository } from '../orders/orders.repository';
import { TransactionsRepository } from '../orders/transactions.repository';
import { ProviderRegistry } from '../providers/provider';
import { presentRefund, Refund, RefundView } from './refund.presenter';
import { RefundOutcomes } from './refund-outcomes';
import { firstRefundCheckAt } from './refund-schedule';
import { CreateRefundDto, ListRefundsQuery } from './refunds.dto';
import { REFUNDS_ERRORS } from './refunds.errors';
import { RefundsRepository } from './refunds.repository';

/** Who asks for a refund: the merchant and the credential that acted (the audit log's actor). */
export interface RefundRequester {
  /** The merchant and the mode of the credential: only that mode's orders are found (and refunded). */
  scope: Scope;
  actor: string;
}

/**
 * Refunds of PAID orders. The amount is reserved on the order (OrdersRepository.reserveRefund, one
 * conditional UPDATE) in the same database transaction that inserts the refund and its event(s), so
 * the refunds that have not failed never add up to more than the paid amount, concurrent requests
 * included. A gateway with a refund API is called only after that commit; its answer is applied by
 * RefundOutcomes. A manual refund (the money went back outside) is SUCCEEDED at once and audited.
 */
@Injectable()
export class RefundsService {
  constructor(
    private readonly refunds: RefundsRepository,
    private readonly orders: OrdersRepository,
    private readonly transactions: TransactionsRepository,
    private readonly registry: ProviderRegistry,
    private readonly accounts: ProviderAccountsService,
    private readonly outcomes: RefundOutcomes,
    private readonly outbox: OutboxWriter,
    private readonly audit: AuditLogRepository,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  async create(who: RefundRequester, orderId: string, dto: CreateRefundDto): Promise<RefundView> {
    const order = await this.orders.findForMerchant(who.scope, orderId);
    if (!order) throw notFound('order');
    const manual = dto.manual === true;
    const provider = this.registry.get(order.provider);
    if (!manual && !(provider?.capabilities.refund && provider.refund && provider.checkRefund)) {
      throw problem(
        REFUNDS_ERRORS.refund_not_supported,
        `${order.provider} has no refund API: return the money to the customer yourself and record it with "manual": true`,
      );
    }
    if (order.status !== 'PAID' || order.paidAmountMinor === null) throw notRefundable(order);
    const currency = order.paidCurrency ?? order.currency;
    let amountMinor: number | null = null;
    if (dto.amount !== undefined) {
      try {
        amountMinor = parseAmount(dto.amount, currency);
      } catch (err) {
        if (err instanceof MoneyError) throw validationProblem([{ field: 'amount', message: err.message }]);
        throw err;
      }
    }
    // A gateway refund needs the merchant's account there (in test mode the simulator's, simulated if need be): checked now, so a missing one is a 4xx and nothing is written.
    if (!manual) await this.accounts.credentials(who.scope, order.provider);
    const txn = await this.transactions.latestOf(order.id);
    const now = this.clock.now();
    const refund = await this.refunds.inTransaction(async (manager) => {
      const reserved = await this.orders.reserveRefund(manager, { scope: who.scope, orderId: order.id, amountMinor, events: manual ? 2 : 1 });
      if (!reserved) return null; // refused: explained below, once this transaction has let go of the order
      const created = await this.refunds.insert(manager, {
        id: newId('re'),
        scope: who.scope,
        orderId: order.id,
        transactionId: txn.id,
        provider: order.provider,
        amountMinor: reserved.amountMinor,
        currency,
        status: manual ? 'SUCCEEDED' : 'PENDING',
        method: manual ? 'manual' : 'provider_api',
        reason: dto.reason ?? null,
        actor: who.actor,
        nextCheckAt: manual ? null : firstRefundCheckAt(now, this.config.providerTimeoutMs),
      });
      if (manual) {
        await this.audit.record(manager, {
          actor: who.actor,
          action: 'refund.manual',
          subjectId: created.id,
          reason: dto.reason ?? null,
          details: { order_id: order.id, amount: formatAmount(created.amountMinor, currency), currency },
        });
      }
      const data = { refund: presentRefund(created), order: presentOrder(reserved.order, txn, this.config.publicBaseUrl) };
      const seq = reserved.order.eventSeq;
      const base = { merchantId: who.scope.merchantId, livemode: who.scope.livemode, orderId: order.id, data };
      if (manual) {
        await this.outbox.append(manager, { ...base, type: 'refund.created', sequence: seq - 1 });
        await this.outbox.append(manager, { ...base, type: 'refund.succeeded', sequence: seq });
      } else {
        await this.outbox.append(manager, { ...base, type: 'refund.created', sequence: seq });
      }
      return created;
    });
    if (!refund) throw await this.refusal(who.scope, order.id, amountMinor);
    if (manual) return presentRefund(refund);
    return presentRefund(await this.askGateway(refund));
  }

  /**
   * The gateway call, after the PENDING refund is committed. Whatever happens here the refund exists and
   * is answered (a retry with the same Idempotency-Key replays it instead of refunding twice): a call that
   * gives no usable answer leaves it PENDING for the sweeper's checkRefund.
   */
  private async askGateway(refund: Refund): Promise<Refund> {
    try {
      const call = await this.outcomes.callFor(refund);
      const outcome = await call.provider.refund(call.input);
      return await this.outcomes.apply(refund, outcome);
    } catch (err) {
      return this.outcomes.recordError(refund, err).catch(() => refund);
    }
  }

  async get(scope: Scope, refundId: string): Promise<RefundView> {
    const refund = await this.refunds.findForMerchant(scope, refundId);
    if (!refund) throw notFound('refund');
    return presentRefund(refund);
  }

  async listForOrder(scope: Scope, orderId: string, q: ListRefundsQuery): Promise<Page<RefundView>> {
    const order = await this.orders.findForMerchant(scope, orderId);
    if (!order) throw notFound('order');
    const limit = q.limit ?? 20;
    return toPage(await this.refunds.listForOrder(scope, orderId, limit, q.starting_after), limit, presentRefund);
  }

  /** Why a reservation was refused, read after the fact (the order may have changed since the first read). */
  private async refusal(scope: Scope, orderId: string, amountMinor: number | null) {
    const order = await this.orders.findForMerchant(scope, orderId);
    if (!order) return notFound('order');
    if (order.status !== 'PAID' || order.paidAmountMinor === null) return notRefundable(order);
    const currency = order.paidCurrency ?? order.currency;
    const left = formatAmount(Math.max(0, order.paidAmountMinor - order.refundedMinor), currency);
    const asked = amountMinor === null ? 'nothing is left to refund' : `${formatAmount(amountMinor, currency)} ${currency} is more than what is left`;
    return problem(
      REFUNDS_ERRORS.amount_exceeds_refundable,
      `${asked}: ${left} ${currency} of ${formatAmount(order.paidAmountMinor, currency)} paid can still be refunded`,
      {
        amount_refundable: left,
      },
    );
  }
}

function notRefundable(order: Order) {
  return problem(REFUNDS_ERRORS.order_not_refundable, `only a PAID order can be refunded; this one is ${order.status}`);
}
