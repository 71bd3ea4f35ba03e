import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { hydrateEntity, returnedRows } from '../database/rows';
import type { ProviderId } from '../providers/provider';
import { Order, Transaction } from './order.entity';
import type { OrderStatus } from './state-machine';

/** One answered check to record: the transaction and, if it stays PENDING, when to check it next. */
export interface CheckRecord {
  id: string;
  nextCheckAt: Date | null;
}

/** The proof a gateway handed back is already recorded for another payment (unique index on (provider, provider_proof)). */
export class ProofAlreadyUsedError extends Error {
  constructor() {
    super('this proof is already recorded for another payment');
    this.name = 'ProofAlreadyUsedError';
  }
}

/** The transactions table's reads and writes, by intent. */
@Injectable()
export class TransactionsRepository {
  constructor(private readonly db: DataSource) {}

  /** The transaction a gateway knows by `reference`; only among one merchant's when `merchantId` is given. */
  findByReference(provider: ProviderId, reference: string, merchantId?: string): Promise<Transaction | null> {
    return this.db.getRepository(Transaction).findOneBy({ provider, providerReference: reference, ...(merchantId ? { merchantId } : {}) });
  }

  /** Found by the token's sha256: nothing secret is compared in JavaScript. */
  findByReturnTokenHash(provider: ProviderId, tokenHash: string): Promise<Transaction | null> {
    return this.db.getRepository(Transaction).findOneBy({ provider, returnTokenHash: tokenHash });
  }

  findByCancelTokenHash(provider: ProviderId, tokenHash: string): Promise<Transaction | null> {
    return this.db.getRepository(Transaction).findOneBy({ provider, cancelTokenHash: tokenHash });
  }

  /** The transaction's order, read inside `manager`'s database transaction when given. */
  orderOf(txn: Transaction, manager: EntityManager = this.db.manager): Promise<Order> {
    return manager.findOneByOrFail(Order, { id: txn.orderId, merchantId: txn.merchantId });
  }

  inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** The order's latest transaction (every order has one), read inside `manager`'s database transaction when given. */
  latestOf(orderId: string, manager: EntityManager = this.db.manager): Promise<Transaction> {
    return manager.findOneOrFail(Transaction, { where: { orderId }, order: { createdAt: 'DESC' } });
  }

  /** latestOf() for an order that may not exist: null then. */
  findLatestOf(orderId: string): Promise<Transaction | null> {
    return this.db.getRepository(Transaction).findOne({ where: { orderId }, order: { createdAt: 'DESC' } });
  }

  findById(id: string): Promise<Transaction | null> {
    return this.db.getRepository(Transaction).findOneBy({ id });
  }

  /** The order's transaction `id`, inside `manager`'s database transaction; throws when it is not that order's. */
  findInOrder(manager: EntityManager, id: string, orderId: string): Promise<Transaction> {
    return manager.findOneByOrFail(Transaction, { id, orderId });
  }

  /** The transactions of these orders, oldest first. */
  forOrders(orderIds: readonly string[]): Promise<Transaction[]> {
    if (!orderIds.length) return Promise.resolve([]);
    return this.db.getRepository(Transaction).createQueryBuilder('t').where('t.order_id IN (:...ids)', { ids: orderIds }).orderBy('t.created_at', 'ASC').getMany();
  }

  /**
   * Follows its order to `status`, keeping `proof` when given; a transaction that left PENDING is checked no more.
   * The changed row comes back through RETURNING, without a read.
   */
  async followOrder(manager: EntityManager, id: string, status: OrderStatus, proof: string | null): Promise<Transaction> {
    const [row] = returnedRows<Record<string, unknown>>(
      await manager.query(
        `UPDATE transactions SET status = $2, provider_proof = COALESCE($3, provider_proof), next_check_at = CASE WHEN $2 = 'PENDING' THEN next_check_at ELSE NULL END, updated_at = now() WHERE id = $1 RETURNING *`,
        [id, status, proof],
      ),
    );
    return hydrateEntity(manager, Transaction, row);
  }

  /** One answered check: counted, and the last error cleared. */
  async recordCheck(id: string): Promise<void> {
    await this.db.query(`UPDATE transactions SET last_checked_at = now(), check_count = check_count + 1, last_error = NULL, updated_at = now() WHERE id = $1`, [id]);
  }

  /**
   * Records answered checks in ONE statement, as recordCheck records one, and, given the lease holder, releases
   * that holder's lease on each with its next check (none once the transaction left PENDING). A lease that has
   * passed to someone else is left alone; the check is recorded all the same.
   */
  async recordChecks(checks: readonly CheckRecord[], leaseHolder: string | null): Promise<void> {
    if (!checks.length) return;
    await this.db.query(
      `UPDATE transactions t SET last_checked_at = now(), check_count = t.check_count + 1, last_error = NULL, updated_at = now(),
         claimed_until = CASE WHEN t.claimed_by = $3 THEN NULL ELSE t.claimed_until END,
         claimed_by = CASE WHEN t.claimed_by = $3 THEN NULL ELSE t.claimed_by END,
         swept_at = CASE WHEN t.claimed_by = $3 THEN now() ELSE t.swept_at END,
         next_check_at = CASE WHEN t.claimed_by = $3 THEN (CASE WHEN t.status = 'PENDING' THEN u.next ELSE NULL END) ELSE t.next_check_at END
       FROM unnest($1::text[], $2::timestamptz[]) AS u(id, next)
       WHERE t.id = u.id`,
      [checks.map((c) => c.id), checks.map((c) => c.nextCheckAt), leaseHolder],
    );
  }

  /** A check the gateway did not answer: counted, with its error. */
  async recordFailedCheck(id: string, error: string): Promise<void> {
    await this.db.query(`UPDATE transactions SET last_checked_at = now(), check_count = check_count + 1, last_error = $2, updated_at = now() WHERE id = $1`, [id, error]);
  }

  /** PENDING transactions per gateway (a metrics gauge). */
  async countPendingByProvider(): Promise<{ provider: string; count: number }[]> {
    const rows: { provider: string; count: string }[] = await this.db.query(`SELECT provider, count(*) AS count FROM transactions WHERE status = 'PENDING' GROUP BY provider`);
    return rows.map((row) => ({ provider: row.provider, count: Number(row.count) }));
  }

  /** Seconds since the most overdue PENDING transaction became due for a check; 0 when none is due (a metrics gauge). */
  async oldestDueCheckAgeSeconds(): Promise<number> {
    const due: { age: string | null }[] = await this.db.query(
      `SELECT EXTRACT(EPOCH FROM now() - min(next_check_at)) AS age FROM transactions WHERE status = 'PENDING' AND next_check_at <= now()`,
    );
    return Math.max(0, Number(due[0]?.age ?? 0));
  }

  /**
   * Spends the transaction's return token, recording `proof` beside it in the same statement; false when it
   * was already spent. Locks the order first, the order every transition takes (orders, then transactions):
   * the other way round deadlocks against a racing verify, sweep or resolve.
   * Throws ProofAlreadyUsedError when `proof` is another payment's (the database transaction is then aborted).
   */
  async claimReturnToken(manager: EntityManager, txn: Transaction, proof?: string): Promise<boolean> {
    await manager.query(`SELECT id FROM orders WHERE id = $1 FOR UPDATE`, [txn.orderId]);
    try {
      const claimed = await manager.query(
        `UPDATE transactions SET return_token_used_at = now(), provider_proof = COALESCE($2, provider_proof), updated_at = now()
         WHERE id = $1 AND return_token_used_at IS NULL RETURNING id`,
        [txn.id, proof ?? null],
      );
      return returnedRows<unknown>(claimed).length > 0;
    } catch (err) {
      const e = err as { code?: string; constraint?: string };
      if (e.code === '23505' && e.constraint === 'transactions_provider_proof') throw new ProofAlreadyUsedError();
      throw err;
    }
  }
}
