import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { newId } from '../common/ids';

/** One audited act: who (the credential or user that acted), what, on which id, and why. */
export interface AuditEntry {
  actor: string;
  action: string;
  subjectId: string;
  reason: string | null;
  details: Record<string, unknown>;
}

export interface AuditRow {
  id: string;
  actor: string;
  action: string;
  subject_id: string;
  reason: string | null;
  details: Record<string, unknown>;
  created_at: Date;
}

export interface AuditFilter {
  subjectId?: string;
  action?: string;
  actor?: string;
  /** An audit id: rows older than it (ids sort by time). */
  startingAfter?: string;
  limit: number;
}

/**
 * The audit_log table's one owner. `record` takes the caller's transaction (EntityManager), so an
 * audited change and its audit row commit together or not at all.
 */
@Injectable()
export class AuditLogRepository {
  constructor(private readonly db: DataSource) {}

  async record(manager: EntityManager, entry: AuditEntry): Promise<void> {
    await manager.query(`INSERT INTO audit_log (id, actor, action, subject_id, reason, details) VALUES ($1, $2, $3, $4, $5, $6)`, [
      newId('aud'),
      entry.actor,
      entry.action,
      entry.subjectId,
      entry.reason,
      entry.details,
    ]);
  }

  /** Newest first; one row more than `limit`, so the caller can tell has_more. */
  async list(filter: AuditFilter): Promise<AuditRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (column: string, op: string, value: unknown) => {
      params.push(value);
      where.push(`${column} ${op} $${params.length}`);
    };
    if (filter.subjectId) add('subject_id', '=', filter.subjectId);
    if (filter.action) add('action', '=', filter.action);
    if (filter.actor) add('actor', '=', filter.actor);
    if (filter.startingAfter) add('id', '<', filter.startingAfter);
    params.push(filter.limit + 1);
    return this.db.query(
      `SELECT id, actor, action, subject_id, reason, details, created_at FROM audit_log ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.length}`,
      params,
    );
  }
}
