import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { returnedRows } from '../database/rows';
import { RunTally } from './plan';
import { ReconciliationRun, RunStatus, RunTrigger } from './reconciliation-run.entity';

/** The reconciliation_runs table's reads and writes, by intent: a run's life (start, heartbeat, finish) and its history. */
@Injectable()
export class ReconciliationRunsRepository {
  constructor(private readonly db: DataSource) {}

  /** Closes as interrupted every running run whose heartbeat is older than `staleSeconds`: its instance died (kill -9, lost host). */
  async closeInterrupted(staleSeconds: number): Promise<void> {
    await this.db.query(
      `UPDATE reconciliation_runs SET status = 'interrupted', finished_at = heartbeat_at, error = 'its instance stopped without finishing the run (no heartbeat for ${staleSeconds} s)'
       WHERE status = 'running' AND heartbeat_at < now() - make_interval(secs => $1)`,
      [staleSeconds],
    );
  }

  /** Records a running run; resolves with its start in database time. */
  async start(id: string, trigger: RunTrigger, instance: string): Promise<Date> {
    const [{ now }] = returnedRows<{ now: Date }>(
      await this.db.query(
        `INSERT INTO reconciliation_runs (id, trigger, status, instance, started_at, heartbeat_at) VALUES ($1, $2, 'running', $3, now(), now()) RETURNING started_at AS now`,
        [id, trigger, instance],
      ),
    );
    return new Date(now);
  }

  async heartbeat(id: string): Promise<void> {
    await this.db.query(`UPDATE reconciliation_runs SET heartbeat_at = now() WHERE id = $1`, [id]);
  }

  /** Records the run's end with its counters; resolves with the finished record. */
  async finish(id: string, status: Exclude<RunStatus, 'running'>, tally: RunTally, error: string | null): Promise<ReconciliationRun> {
    const t = tally;
    await this.db.query(
      `UPDATE reconciliation_runs SET status = $2, finished_at = now(), claimed = $3, checked = $4, paid = $5, expired = $6, flagged = $7, errors = $8, providers = $9, error = $10 WHERE id = $1`,
      [id, status, t.claimed, t.checked, t.paid, t.expired, t.flagged, t.errors, t.providers(), error],
    );
    return this.db.getRepository(ReconciliationRun).findOneByOrFail({ id });
  }

  findById(id: string): Promise<ReconciliationRun | null> {
    return this.db.getRepository(ReconciliationRun).findOneBy({ id });
  }

  /** Runs newest first, up to `limit`, older than the run `startingAfter` when given. */
  history(limit: number, startingAfter?: string): Promise<ReconciliationRun[]> {
    const qb = this.db.getRepository(ReconciliationRun).createQueryBuilder('r');
    if (startingAfter) qb.where('r.id < :after', { after: startingAfter });
    return qb.orderBy('r.id', 'DESC').limit(limit).getMany();
  }
}
