import { AuditLogRepository } from '../audit/audit-log.repository';
import { Injectable, Logger } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { hydrateEntity, returnedRows } from '../database/rows';
import { ProblemException } from '../common/problem';
import { AppConfig } from '../config/config';
import { OutboxWriter } from '../events/outbox.writer';
import { Order, Transaction } from './order.entity';
import { presentOrder } from './order.presenter';
import { Decision, decide, OrderCommand } from './state-machine';

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
    private readonly db: DataSource,
    private readonly outbox: OutboxWriter,
    private readonly config: AppConfig,
    private readonly audit: AuditLogRepository,
  ) {}

  async apply(orderId: string, command: OrderCommand, ctx: TransitionContext): Promise<TransitionResult> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const result = await this.db.transaction((manager) => this.tryApply(manager, orderId, command, ctx));
      if (result) return result;
    }
    throw new ProblemException(409, 'concurrent_update', 'the order changed repeatedly while being updated; retry');
  }

  /** Same as apply, inside a caller's transaction (the caller retries on null). */
  async tryApply(manager: EntityManager, orderId: string, command: OrderCommand, ctx: TransitionContext): Promise<TransitionResult | null> {
    const order = await manager.findOneByOrFail(Order, { id: orderId });
    const transaction = ctx.transactionId
      ? await manager.findOneByOrFail(Transaction, { id: ctx.transactionId, orderId })
      : await manager.findOneOrFail(Transaction, { where: { orderId }, order: { createdAt: 'DESC' } });
    const decision = decide(order, command);
    if (decision.outcome === 'noop' || decision.outcome === 'rejected') {
      return { order, transaction, decision, changed: false };
    }

    const sets: string[] = ['flags = ARRAY(SELECT DISTINCT unnest(flags || $3::text[]) ORDER BY 1)', 'event_seq = event_seq + 1', 'updated_at = now()'];
    const params: unknown[] = [orderId, decision.from, decision.addFlags];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      sets.push(sql.replace('?', `$${params.length}`));
    };
    if (decision.outcome === 'transition') {
      add('status = ?', decision.to);
      if (decision.to === 'PAID') {
        if (command.kind === 'pay') {
          add('paid_at = ?', command.paidAt);
          add('paid_amount_minor = ?', command.paidAmountMinor);
          add('paid_currency = ?', command.paidCurrency);
          add('verification = ?', command.verification);
        } else {
          add('paid_at = ?', new Date());
          add('paid_amount_minor = ?', order.amountMinor);
          add('paid_currency = ?', order.currency);
          add('verification = ?', 'manual');
        }
      }
      const reason = command.kind === 'fail' || command.kind === 'resolve' ? command.reason : ctx.reason;
      if (reason) add('status_reason = ?', reason);
    }
    // RETURNING *: the changed rows themselves, for the event and the caller, without reading them back.
    const [updated] = returnedRows<Record<string, unknown>>(
      await manager.query(`UPDATE orders SET ${sets.join(', ')} WHERE id = $1 AND status = $2 RETURNING *`, params),
    );
    if (!updated) return null; // lost the race: re-read and decide again
    const fresh = hydrateEntity(manager, Order, updated);

    let freshTxn = transaction;
    if (decision.outcome === 'transition') {
      const [txnRow] = returnedRows<Record<string, unknown>>(
        await manager.query(
          `UPDATE transactions SET status = $2, provider_proof = COALESCE($3, provider_proof), next_check_at = CASE WHEN $2 = 'PENDING' THEN next_check_at ELSE NULL END, updated_at = now() WHERE id = $1 RETURNING *`,
          [transaction.id, decision.to, ctx.proof ?? null],
        ),
      );
      freshTxn = hydrateEntity(manager, Transaction, txnRow);
    }
    if (command.kind === 'resolve') {
      await this.audit.record(manager, { actor: ctx.actor, action: 'transaction.resolve', subjectId: transaction.id, reason: command.reason, details: { order_id: orderId, to: command.to } });
    }
    await this.outbox.append(manager, {
      merchantId: fresh.merchantId,
      orderId,
      type: decision.event,
      sequence: fresh.eventSeq,
      data: { order: presentOrder(fresh, freshTxn, this.config.publicBaseUrl), ...(decision.outcome === 'flag' ? { flags_added: decision.addFlags, reason: ctx.reason ?? null } : {}) },
    });
    this.logger.log({ orderId, event: decision.event, actor: ctx.actor }, 'order transition');
    return { order: fresh, transaction: freshTxn, decision, changed: true };
  }
}
