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

/** One order's transition, as `apply` takes it. */
export interface TransitionRequest {
  orderId: string;
  command: OrderCommand;
  ctx: TransitionContext;
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

  /**
   * Several orders' transitions in ONE database transaction, so one commit instead of one per order (the
   * sweeper applies a Bakong batch call's payments this way). Each order still gets its own compare-and-set
   * and its own event, in order-id order. If that transaction fails (one transition threw, a deadlock, a lost
   * connection), it is rolled back and every request is applied on its own by `apply`, so one order's failure
   * loses none of the others. Settles with each request's result or error, in the requests' order.
   */
  async applyMany(requests: readonly TransitionRequest[]): Promise<PromiseSettledResult<TransitionResult>[]> {
    if (requests.length > 1) {
      try {
        const results = await this.orders.inTransaction(async (manager) => {
          const out: TransitionResult[] = new Array<TransitionResult>(requests.length);
          const byOrder = requests
            .map((_, i) => i)
            .sort((a, b) => (requests[a].orderId < requests[b].orderId ? -1 : requests[a].orderId > requests[b].orderId ? 1 : a - b));
          for (const i of byOrder) {
            const { orderId, command, ctx } = requests[i];
            let result: TransitionResult | null = null;
            for (let attempt = 0; attempt < 5 && !result; attempt++) result = await this.tryApply(manager, orderId, command, ctx);
            if (!result) throw problem(ORDERS_ERRORS.concurrent_update, 'the order changed repeatedly while being updated; retry');
            out[i] = result;
          }
          return out;
        });
        return results.map((value) => ({ status: 'fulfilled', value }));
      } catch (err) {
        this.logger.warn(`${requests.length} transitions in one transaction failed (${(err as Error)?.message ?? String(err)}); applying each on its own`);
      }
    }
    return Promise.allSettled(requests.map((r) => this.apply(r.orderId, r.command, r.ctx)));
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
