import { Injectable } from '@nestjs/common';
import { DataSource, TransactionCommitEvent, TransactionRollbackEvent } from 'typeorm';

/** Called when a database transaction ends, with the query runner that ran it (savepoints included: check isTransactionActive). */
export interface TransactionListener {
  afterCommit(event: TransactionCommitEvent): void;
  afterRollback(event: TransactionRollbackEvent): void;
}

/** Lets a module hear database transactions end without holding the DataSource (metrics count events only once they commit). */
@Injectable()
export class TransactionListeners {
  constructor(private readonly db: DataSource) {}

  /** Starts calling `listener`; the returned function stops it. */
  add(listener: TransactionListener): () => void {
    const subscriber = { afterTransactionCommit: listener.afterCommit, afterTransactionRollback: listener.afterRollback };
    this.db.subscribers.push(subscriber);
    return () => {
      const i = this.db.subscribers.indexOf(subscriber);
      if (i >= 0) this.db.subscribers.splice(i, 1);
    };
  }
}
