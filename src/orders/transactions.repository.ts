import { Injectable } from '@nestjs/common';
import type { Scope } from '../common/scope';
import { DataSource, EntityManager } from 'typeorm';
import { hydrateEntity, returnedRows } from '../database/rows';
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
/** recordChecks' statement ($1 ids, $2 next checks, $3 holder); the bench's bare baseline runs it too. */
export const RECORD_CHECKS_SQL = `UPDATE transactions t SET last_checked_at = now(), check_count = t.check_count + 1, last_error = NULL, updated_at = now(),
         claimed_until = CASE WHEN t.claimed_by = $3 THEN NULL ELSE t.claimed_until END,
         claimed_by = CASE WHEN t.claimed_by = $3 THEN NULL ELSE t.claimed_by END,
         swept_at = CASE WHEN t.claimed_by = $3 THEN now() ELSE t.swept_at END,
         next_check_at = CASE WHEN t.claimed_by = $3 THEN (CASE WHEN t.status = 'PENDING' THEN u.next ELSE NULL END) ELSE t.next_check_at END
       FROM unnest($1::text[], $2::timestamptz[]) AS u(id, next)
       WHERE t.id = u.id`;

/** The sweeper's claim ($1 provider, $2 swept before, $3 every pending, $4 limit, $5 lease seconds, $6 holder); the bench's bare baseline runs it too. */
export const CLAIM_DUE_SQL = `WITH picked AS (
         SELECT id FROM transactions
         WHERE status = 'PENDING' AND provider = $1
           AND (claimed_until IS NULL OR claimed_until < now())
           AND (swept_at IS NULL OR swept_at < $2)
           AND ($3::boolean OR next_check_at <= now())
         ORDER BY next_check_at NULLS FIRST, id
         LIMIT $4
         FOR UPDATE SKIP LOCKED
       )
       UPDATE transactions t SET claimed_until = now() + make_interval(secs => $5), claimed_by = $6
       FROM picked WHERE t.id = picked.id
       RETURNING t.*`;

@Injectable()
export class TransactionsRepository {
  constructor(private readonly db: DataSource) {}

  /** The transaction a gateway knows by `reference`; only among one merchant's in one mode when `scope` is given. */
  findByReference(provider: ProviderId, reference: string, scope?: Scope): Promise<Transaction | null> {
    return this.db
      .getRepository(Transaction)
      .findOneBy({ provider, providerReference: reference, ...(scope ? { merchantId: scope.merchantId, livemode: scope.livemode } : {}) });
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
    return this.db
      .getRepository(Transaction)
      .createQueryBuilder('t')
      .where('t.order_id IN (:...ids)', { ids: orderIds })
      .orderBy('t.created_at', 'ASC')
      .getMany();
  }

  /** One answered check: counted, and the last error cleared. */
  async recordCheck(id: string): Promise<void> {
    await this.db.query(`UPDATE transactions SET last_checked_at = now(), check_count = check_count + 1, last_error = NULL, updated_at = now() WHERE id = $1`, [
      id,
    ]);
  }

  /** A check the gateway did not answer: counted, with its error. */
  async recordFailedCheck(id: string, error: string): Promise<void> {
    await this.db.query(`UPDATE transactions SET last_checked_at = now(), check_count = check_count + 1, last_error = $2, updated_at = now() WHERE id = $1`, [
      id,
      error,
    ]);
  }

  /** PENDING transactions per gateway (a metrics gauge). */
  async countPendingByProvider(): Promise<{ provider: string; count: number }[]> {
    const rows: { provider: string; count: string }[] = await this.db.query(
      `SELECT provider, count(*) AS count FROM transactions WHERE status = 'PENDING' GROUP BY provider`,
    );
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

  /**
   * The throttle on checks an unsigned gateway notice triggers (PayWay's pushback): moves confirm_checked_at to now when
   * the transaction was not checked for a notice in the last `intervalSeconds`; false when another notice (on any
   * instance) was. Whoever moves the timestamp makes the call.
   */
  async claimConfirmCheck(transactionId: string, intervalSeconds: number): Promise<boolean> {
    const claimed = await this.db.query(
      `UPDATE transactions SET confirm_checked_at = now()
        WHERE id = $1 AND (confirm_checked_at IS NULL OR confirm_checked_at <= now() - make_interval(secs => $2))
       RETURNING id`,
      [transactionId, intervalSeconds],
    );
    return returnedRows(claimed).length > 0;
  }

  // ── Reconciliation leases: the sweeper's claims, releases and batched check records (src/reconciliation/) ──

  /**
   * Leases up to `limit` due transactions of one provider to `holder`, in one statement. The row
   * locks last for this statement only (SKIP LOCKED: another sweeper's picks are skipped); the
   * lease is what keeps other sweepers away. Resolves with the claimed rows, next due first.
   */
  async claimDue(claim: DueClaim): Promise<Transaction[]> {
    const rows: unknown = await this.db.query(CLAIM_DUE_SQL, [
      claim.provider,
      claim.sweptBefore,
      claim.everyPending,
      claim.limit,
      claim.leaseSeconds,
      claim.holder,
    ]);
    // The claimed rows themselves, not read back with a second query.
    const txns = returnedRows<Record<string, unknown>>(rows).map((row) => hydrateEntity(this.db, Transaction, row));
    return txns.sort((a, b) => (a.nextCheckAt?.getTime() ?? -Infinity) - (b.nextCheckAt?.getTime() ?? -Infinity) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Extends every lease `holder` has by `leaseSeconds` from now. */
  async renewLeases(holder: string, leaseSeconds: number): Promise<void> {
    // SKIP LOCKED: a row being released right now (a batch's bookkeeping statement locks many) is skipped, so the two never deadlock.
    await this.db.query(
      `UPDATE transactions SET claimed_until = now() + make_interval(secs => $2)
       WHERE id IN (SELECT id FROM transactions WHERE claimed_by = $1 FOR UPDATE SKIP LOCKED) AND claimed_by = $1`,
      [holder, leaseSeconds],
    );
  }

  /** Gives back everything `holder` still leases, unchanged (still due). */
  async releaseAll(holder: string): Promise<void> {
    await this.db.query(`UPDATE transactions SET claimed_until = NULL, claimed_by = NULL WHERE claimed_by = $1`, [holder]);
  }

  /** Gives back those of `ids` that `holder` still leases, marked swept so the same run does not claim them again. */
  async releaseSwept(holder: string, ids: readonly string[]): Promise<void> {
    await this.db.query(`UPDATE transactions SET claimed_until = NULL, claimed_by = NULL, swept_at = now() WHERE claimed_by = $1 AND id = ANY($2)`, [
      holder,
      ids,
    ]);
  }

  /** Gives one transaction back with its next check (kept only while PENDING). */
  async release(holder: string, release: NextCheck): Promise<void> {
    await this.db.query(
      `UPDATE transactions SET claimed_until = NULL, claimed_by = NULL, swept_at = now(),
         next_check_at = CASE WHEN status = 'PENDING' THEN $3::timestamptz ELSE NULL END
       WHERE id = $1 AND claimed_by = $2`,
      [release.id, holder, release.nextCheckAt],
    );
  }

  /** Gives many transactions back without recording a check, each with its next check, in one statement. */
  async releaseMany(holder: string, releases: readonly NextCheck[]): Promise<void> {
    if (!releases.length) return;
    await this.db.query(
      `UPDATE transactions t SET claimed_until = NULL, claimed_by = NULL, swept_at = now(),
         next_check_at = CASE WHEN t.status = 'PENDING' THEN u.next ELSE NULL END
       FROM unnest($1::text[], $2::timestamptz[]) AS u(id, next)
       WHERE t.id = u.id AND t.claimed_by = $3`,
      [releases.map((r) => r.id), releases.map((r) => r.nextCheckAt), holder],
    );
  }

  /**
   * Records answered checks in ONE statement (last_checked_at, check_count + 1, last_error
   * cleared) and releases `holder`'s lease on each with its next check (none once the
   * transaction left PENDING). A lease that has passed to someone else is left alone; the check
   * is recorded all the same.
   */
  async recordChecks(checks: readonly NextCheck[], holder: string): Promise<void> {
    if (!checks.length) return;
    await this.db.query(RECORD_CHECKS_SQL, [checks.map((c) => c.id), checks.map((c) => c.nextCheckAt), holder]);
  }

  /** The gateway was not asked (open circuit, paused host): not a check, so the count stays; the reason is kept for the operator. */
  async recordSkippedCheck(id: string, reason: string): Promise<void> {
    await this.db.query(`UPDATE transactions SET last_error = $2, updated_at = now() WHERE id = $1`, [id, reason.slice(0, 500)]);
  }

  /** The gateway answered but applying the answer failed: the check counts, with that failure as its error. */
  async recordUnappliedCheck(id: string, error: string): Promise<void> {
    await this.db.query(`UPDATE transactions SET last_checked_at = now(), check_count = check_count + 1, last_error = $2, updated_at = now() WHERE id = $1`, [
      id,
      error.slice(0, 500),
    ]);
  }
}

/** A transaction and when to check it next (null: no further scheduled check). */
export interface NextCheck {
  id: string;
  nextCheckAt: Date | null;
}

/** What a sweep claims: one provider's due transactions (every PENDING one when `everyPending`) not yet swept by this run. */
export interface DueClaim {
  provider: ProviderId;
  /** The lease holder (the run id). */
  holder: string;
  /** The run's start: a transaction swept since then is not claimed again. */
  sweptBefore: Date;
  everyPending: boolean;
  limit: number;
  leaseSeconds: number;
}
