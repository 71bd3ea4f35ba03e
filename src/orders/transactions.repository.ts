import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { returnedRows } from '../database/rows';
import type { ProviderId } from '../providers/provider';
import { Order, Transaction } from './order.entity';

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

  /**
   * The pay page's throttle on gateway checks: moves the order's latest transaction's last_checked_at to now
   * when it is PENDING and was not checked in the last `intervalSeconds`, and returns its id; null when another
   * poll (on any instance) checked it within the interval. Whoever moves the timestamp makes the call.
   * Returns the id only: the caller reads the row (findById) once it knows it will make the call.
   */
  async claimPageCheck(orderId: string, intervalSeconds: number): Promise<string | null> {
    const claimed = await this.db.query(
      `UPDATE transactions SET last_checked_at = now()
       WHERE id = (SELECT id FROM transactions WHERE order_id = $1 ORDER BY created_at DESC LIMIT 1)
         AND status = 'PENDING'
         AND (last_checked_at IS NULL OR last_checked_at <= now() - make_interval(secs => $2))
       RETURNING id`,
      [orderId, intervalSeconds],
    );
    const rows = returnedRows<{ id: unknown }>(claimed);
    return rows.length ? String(rows[0].id) : null;
  }

  findById(id: string): Promise<Transaction> {
    return this.db.getRepository(Transaction).findOneByOrFail({ id });
  }
}
