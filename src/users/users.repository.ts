import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { returnedRows } from '../database/rows';

export type MerchantRole = 'owner' | 'developer' | 'viewer';
export type UserRole = MerchantRole | 'operator';

export interface UserRow {
  id: string;
  email: string;
  role: UserRole;
  merchant_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const USER_COLUMNS = 'id, email, role, merchant_id, created_at, updated_at';

/** The users table's reads and writes. Merchant members are always read through their merchant id. */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: DataSource) {}

  inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** Inserts unless the email (any case) is taken; null when it is. */
  async insert(
    manager: EntityManager,
    user: { id: string; email: string; passwordHash: string; role: UserRole; merchantId: string | null },
  ): Promise<UserRow | null> {
    const rows: unknown = await manager.query(
      `INSERT INTO users (id, email, password_hash, role, merchant_id) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (lower(email)) DO NOTHING RETURNING ${USER_COLUMNS}`,
      [user.id, user.email, user.passwordHash, user.role, user.merchantId],
    );
    return returnedRows<UserRow>(rows)[0] ?? null;
  }

  /** For sign-in: the user and its hash, by email in any case. */
  async findForLogin(email: string): Promise<(UserRow & { password_hash: string }) | null> {
    const rows: (UserRow & { password_hash: string })[] = await this.db.query(
      `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE lower(email) = lower($1)`,
      [email],
    );
    return rows[0] ?? null;
  }

  /** The merchant's members, oldest first. */
  listForMerchant(merchantId: string): Promise<UserRow[]> {
    return this.db.query(`SELECT ${USER_COLUMNS} FROM users WHERE merchant_id = $1 ORDER BY id`, [merchantId]);
  }

  /** Every member of the merchant, locked, so a role change or removal can count the owners that remain. */
  lockMembers(manager: EntityManager, merchantId: string): Promise<UserRow[]> {
    return manager.query(`SELECT ${USER_COLUMNS} FROM users WHERE merchant_id = $1 ORDER BY id FOR UPDATE`, [merchantId]);
  }

  async setRole(manager: EntityManager, userId: string, merchantId: string, role: MerchantRole): Promise<UserRow> {
    const rows: unknown = await manager.query(`UPDATE users SET role = $3, updated_at = now() WHERE id = $1 AND merchant_id = $2 RETURNING ${USER_COLUMNS}`, [
      userId,
      merchantId,
      role,
    ]);
    return returnedRows<UserRow>(rows)[0];
  }

  /** Deletes the member (its sessions go with it: ON DELETE CASCADE). */
  async remove(manager: EntityManager, userId: string, merchantId: string): Promise<void> {
    await manager.query(`DELETE FROM users WHERE id = $1 AND merchant_id = $2`, [userId, merchantId]);
  }

  /** Replaces the password of the user with this email (the demo seeder's restart); false when there is none. */
  async setPasswordByEmail(email: string, passwordHash: string): Promise<boolean> {
    const rows: unknown = await this.db.query(`UPDATE users SET password_hash = $2, updated_at = now() WHERE lower(email) = lower($1) RETURNING id`, [
      email,
      passwordHash,
    ]);
    return returnedRows(rows).length > 0;
  }

  async merchantExists(manager: EntityManager, merchantId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM merchants WHERE id = $1 FOR SHARE`, [merchantId]);
    return rows.length > 0;
  }
}
