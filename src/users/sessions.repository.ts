import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { UserRow } from './users.repository';

/** A live session's user, with its merchant's name (null for operators). */
export interface SessionUserRow extends UserRow {
  session_id: string;
  merchant_name: string | null;
}

/** The sessions and login_throttle tables. Sessions are found by the sha256 of their token, never by the token. */
@Injectable()
export class SessionsRepository {
  constructor(private readonly db: DataSource) {}

  async insert(session: { id: string; userId: string; tokenHash: string; ttlSeconds: number }): Promise<void> {
    await this.db.query(`INSERT INTO sessions (id, user_id, token_hash, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`, [
      session.id,
      session.userId,
      session.tokenHash,
      session.ttlSeconds,
    ]);
  }

  /**
   * The user of a live session (unrevoked, unexpired; a member of an active merchant). The role
   * is read now, so a role change or a removal applies to sessions already open.
   */
  async findLive(tokenHash: string): Promise<SessionUserRow | null> {
    const rows: SessionUserRow[] = await this.db.query(
      `SELECT s.id AS session_id, u.id, u.email, u.role, u.merchant_id, u.created_at, u.updated_at, m.name AS merchant_name
         FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN merchants m ON m.id = u.merchant_id
        WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
          AND (u.merchant_id IS NULL OR m.status = 'active')`,
      [tokenHash],
    );
    return rows[0] ?? null;
  }

  async revoke(tokenHash: string): Promise<void> {
    await this.db.query(`UPDATE sessions SET revoked_at = now() WHERE token_hash = $1 AND revoked_at IS NULL`, [tokenHash]);
  }

  /** Sessions gone for a day are of no use to anyone: dropped as new ones are made. */
  async purgeOld(): Promise<void> {
    await this.db.query(`DELETE FROM sessions WHERE expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day'`);
  }

  /**
   * Counts a sign-in attempt against each key before the password is checked, atomically, so
   * concurrent guesses cannot slip past the limit together. A window of `windowSeconds` opens at
   * the first attempt. Answers each key's count in its window and the seconds the window has left.
   */
  async countAttempt(keys: string[], windowSeconds: number): Promise<{ key: string; attempts: number; wait: number }[]> {
    const rows: { key: string; failures: number; wait: string }[] = await this.db.query(
      `INSERT INTO login_throttle (key, failures, window_ends_at) SELECT k, 1, now() + make_interval(secs => $2) FROM unnest($1::text[]) AS k
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN login_throttle.window_ends_at > now() THEN login_throttle.failures + 1 ELSE 1 END,
         window_ends_at = CASE WHEN login_throttle.window_ends_at > now() THEN login_throttle.window_ends_at ELSE EXCLUDED.window_ends_at END
       RETURNING key, failures, ceil(EXTRACT(EPOCH FROM window_ends_at - now())) AS wait`,
      [keys, windowSeconds],
    );
    return rows.map((r) => ({ key: r.key, attempts: Number(r.failures), wait: Math.max(1, Number(r.wait)) }));
  }

  /** A successful sign-in: it was no failure. The email's count is forgotten, the address's lowered by one; stale windows go. */
  async forgiveAttempt(emailKey: string, addressKey: string): Promise<void> {
    await this.db.query(`DELETE FROM login_throttle WHERE key = $1 OR window_ends_at < now() - interval '1 hour'`, [emailKey]);
    await this.db.query(`UPDATE login_throttle SET failures = greatest(failures - 1, 0) WHERE key = $1`, [addressKey]);
  }
}
