import { Injectable, Logger, Optional } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditLogRepository } from '../audit/audit-log.repository';
import { problem } from '../common/problem';
import { ORDERS_ERRORS } from './orders.errors';
import { AppConfig } from '../config/config';
import { OutboxWriter } from '../events/outbox.writer';
import { Order, Transaction } from './order.entity';
import { PaidOrderHook } from './order-hooks';
import { presentOrder } from './order.presenter';
import { OrderTransitionsRepository } from './order-transitions.repository';
import { OrderChange, OrdersRepository } from './orders.repository';
import { Decision, decide, OrderCommand } from './state-machine';
import { TransactionsRepository } from './transactions.repository';

export interface TransitionContext {
  /** Which transaction reported this (defaults to the order's latest). */
  transactionId?: string;
  /** Who did it: "provider:raksmeypay", "sweeper", "admin", "merchant". */
  actor: string;
  /** Proof from the gateway (e.g. its transaction id), stored on the transaction. */
  proof?: string;
  reason?: string;
}

export interface TransitionResult {
  order: Order;
  transaction: Transaction;
  decision: Decision;
  /** True when this call won and wrote the change (and its event). */
  changed: boolean;
}

/**
 * The one place an order changes status. Decides with the pure state machine, applies the
 * decision as a compare-and-set UPDATE on the status it decided from, and writes the event
 * in the same database transaction. Racing callers: exactly one wins; the others re-read
 * and see a no-op.
 */
@Injectable()
export class OrderTransitions {
  private readonly logger = new Logger(OrderTransitions.name);

  constructor(
    private readonly orders: OrdersRepository,
    private readonly transactions: TransactionsRepository,
    private readonly outbox: OutboxWriter,
    private readonly config: AppConfig,
    private readonly audit: AuditLogRepository,
    private readonly rows: OrderTransitionsRepository,
    @Optional() private readonly paidHook?: PaidOrderHook,
  ) {}

  async apply(orderId: string, command: OrderCommand, ctx: TransitionContext): Promise<TransitionResult> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const result = await this.orders.inTransaction((manager) => this.tryApply(manager, orderId, command, ctx));
      if (result) return result;
    }
    throw problem(ORDERS_ERRORS.concurrent_update, 'the order changed repeatedly while being updated; retry');
  }

  /** Same as apply, inside a caller's transaction (the caller retries on null). */
  async tryApply(manager: EntityManager, orderId: string, command: OrderCommand, ctx: TransitionContext): Promise<TransitionResult | null> {
    // The order and its transaction in one round trip; when there is no such pair the separate reads throw what they always did.
    const both = await this.rows.read(manager, orderId, ctx.transactionId);
    const order = both?.order ?? (await this.orders.getById(manager, orderId));
    const transaction =
      both?.transaction ??
      (ctx.transactionId ? await this.transactions.findInOrder(manager, ctx.transactionId, orderId) : await this.transactions.latestOf(orderId, manager));
    const decision = decide(order, command);
    if (decision.outcome === 'noop' || decision.outcome === 'rejected') {
      return { order, transaction, decision, changed: false };
    }

    // The compare-and-set on the order, with the transaction following it, in one statement (both rows back through RETURNING).
    const follow = decision.outcome === 'transition' ? { id: transaction.id, proof: ctx.proof ?? null } : null;
    const changed = await this.rows.compareAndSet(manager, orderId, OrderTransitions.change(order, command, ctx, decision), follow);
    if (!changed) return null; // lost the race: re-read and decide again
    const fresh = changed.order;
    const freshTxn = changed.transaction ?? transaction;
    // Tallies kept on what the order came from (a payment link's payments_count) move with the status, in this transaction.
    if (decision.outcome === 'transition' && decision.to === 'PAID' && this.paidHook) await this.paidHook.orderPaid(manager, fresh);
    if (command.kind === 'resolve') {
      await this.audit.record(manager, {
        actor: ctx.actor,
        action: 'transaction.resolve',
        subjectId: transaction.id,
        reason: command.reason,
        details: { order_id: orderId, to: command.to },
      });
    }
    await this.outbox.append(manager, {
      merchantId: fresh.merchantId,
      livemode: fresh.livemode,
      orderId,
      type: decision.event,
      sequence: fresh.eventSeq,
      data: {
        order: presentOrder(fresh, freshTxn, this.config.publicBaseUrl),
        ...(decision.outcome === 'flag' ? { flags_added: decision.addFlags, reason: ctx.reason ?? null } : {}),
      },
    });
    this.logger.log({ orderId, event: decision.event, actor: ctx.actor }, 'order transition');
    return { order: fresh, transaction: freshTxn, decision, changed: true };
  }

  /** The columns a decision changes: the status (with the payment's facts when it pays, and the reason) or only flags. */
  static change(order: Order, command: OrderCommand, ctx: TransitionContext, decision: Extract<Decision, { outcome: 'transition' | 'flag' }>): OrderChange {
    const change: OrderChange = { from: decision.from, addFlags: decision.addFlags };
    if (decision.outcome !== 'transition') return change;
    change.to = decision.to;
    if (decision.to === 'PAID') {
      change.paid =
        command.kind === 'pay'
          ? { at: command.paidAt, amountMinor: command.paidAmountMinor, currency: command.paidCurrency, verification: command.verification }
          : { at: new Date(), amountMinor: order.amountMinor, currency: order.currency, verification: 'manual' };
    }
    const reason = command.kind === 'fail' || command.kind === 'resolve' ? command.reason : ctx.reason;
    if (reason) change.reason = reason;
    return change;
  }
}
