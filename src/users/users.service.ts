import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditLogRepository } from '../audit/audit-log.repository';
import { newId } from '../common/ids';
import { notFound, problem } from '../common/problem';
import { Passwords } from './passwords';
import { MerchantRole, UserRole, UserRow, UsersRepository } from './users.repository';
import { USERS_ERRORS } from './users.errors';

/** A user as the API shows it: never the password or its hash. */
export interface UserView {
  id: string;
  object: 'user';
  email: string;
  role: UserRole;
  merchant_id: string | null;
  created_at: string;
  updated_at: string;
}

export const presentUser = (row: UserRow): UserView => ({
  id: row.id,
  object: 'user',
  email: row.email,
  role: row.role,
  merchant_id: row.merchant_id,
  created_at: new Date(row.created_at).toISOString(),
  updated_at: new Date(row.updated_at).toISOString(),
});

/**
 * Users: merchant members (created by an operator or by the merchant's owners) and operators.
 * Every change is audited in the same transaction, with the acting credential or user.
 */
@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly passwords: Passwords,
    private readonly audits: AuditLogRepository,
  ) {}

  /** A merchant member (merchantId set) or an operator (null). 404 for an unknown merchant, 409 for a taken email. */
  async create(input: { email: string; password: string; role: UserRole; merchantId: string | null }, actor: string): Promise<UserView> {
    const passwordHash = await this.passwords.hash(input.password);
    const email = input.email.trim().toLowerCase();
    const row = await this.users.inTransaction(async (manager) => {
      if (input.merchantId && !(await this.users.merchantExists(manager, input.merchantId))) throw notFound('merchant');
      const created = await this.users.insert(manager, { id: newId('usr'), email, passwordHash, role: input.role, merchantId: input.merchantId });
      if (!created) throw problem(USERS_ERRORS.email_taken, 'a user with this email already exists');
      await this.audits.record(manager, {
        actor,
        action: 'user.create',
        subjectId: created.id,
        reason: null,
        details: { email, role: input.role, merchant_id: input.merchantId },
      });
      return created;
    });
    return presentUser(row);
  }

  async team(merchantId: string): Promise<{ data: UserView[]; has_more: false }> {
    return { data: (await this.users.listForMerchant(merchantId)).map(presentUser), has_more: false };
  }

  /** Changes a member's role; refused when it would leave the merchant without an owner. Applies to open sessions at once. */
  async changeRole(merchantId: string, userId: string, role: MerchantRole, actor: string): Promise<UserView> {
    const row = await this.users.inTransaction(async (manager) => {
      const member = await this.lockMember(manager, merchantId, userId, role !== 'owner');
      if (member.role === role) return member;
      const updated = await this.users.setRole(manager, userId, merchantId, role);
      await this.audits.record(manager, {
        actor,
        action: 'user.role_change',
        subjectId: userId,
        reason: null,
        details: { from: member.role, to: role, merchant_id: merchantId },
      });
      return updated;
    });
    return presentUser(row);
  }

  /** Removes a member (its sessions end with it); never the last owner. */
  async remove(merchantId: string, userId: string, actor: string): Promise<UserView> {
    const row = await this.users.inTransaction(async (manager) => {
      const member = await this.lockMember(manager, merchantId, userId, true);
      await this.users.remove(manager, userId, merchantId);
      await this.audits.record(manager, {
        actor,
        action: 'user.remove',
        subjectId: userId,
        reason: null,
        details: { email: member.email, role: member.role, merchant_id: merchantId },
      });
      return member;
    });
    return presentUser(row);
  }

  /** The member, with the merchant's members locked; when `leavesOwnerRole`, 409 if it is the last owner. */
  private async lockMember(manager: EntityManager, merchantId: string, userId: string, leavesOwnerRole: boolean): Promise<UserRow> {
    const members = await this.users.lockMembers(manager, merchantId);
    const member = members.find((m) => m.id === userId);
    if (!member) throw notFound('user');
    if (leavesOwnerRole && member.role === 'owner' && members.filter((m) => m.role === 'owner').length === 1) {
      throw problem(USERS_ERRORS.last_owner, 'the merchant must keep at least one owner');
    }
    return member;
  }

  /** The demo seeder: the user with this password, created or given the new password (so a password printed at start always works). */
  async ensure(input: { email: string; password: string; role: UserRole; merchantId: string | null }): Promise<void> {
    const passwordHash = await this.passwords.hash(input.password);
    if (await this.users.setPasswordByEmail(input.email, passwordHash)) return;
    await this.users.inTransaction((manager) =>
      this.users.insert(manager, { id: newId('usr'), email: input.email, passwordHash, role: input.role, merchantId: input.merchantId }),
    );
  }
}
