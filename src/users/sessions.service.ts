import { Injectable } from '@nestjs/common';
import { constantTimeEqual, hmacSha256Hex, randomToken, sha256Hex } from '../common/crypto';
import { newId } from '../common/ids';
import { COMMON_ERRORS, problem } from '../common/problem';
import { Passwords } from './passwords';
import { SESSION_TTL_SECONDS } from './session-cookie';
import { SessionsRepository, SessionUserRow } from './sessions.repository';
import { UserRole, UsersRepository } from './users.repository';
import { USERS_ERRORS } from './users.errors';

/** Failed sign-ins allowed per email and per client address in one window. */
export const LOGIN_ATTEMPTS_PER_WINDOW = 5;
export const LOGIN_WINDOW_SECONDS = 15 * 60;

/** Who a session cookie stands for. */
export interface SessionUser {
  id: string;
  email: string;
  role: UserRole;
  merchantId: string | null;
  merchantName: string | null;
}

/** The audit-log actor for a signed-in user: its id (stable) and its email (readable). */
export const userActor = (user: { id: string; email: string }): string => `user:${user.id} ${user.email}`;

const presentRow = (row: SessionUserRow): SessionUser => ({
  id: row.id,
  email: row.email,
  role: row.role,
  merchantId: row.merchant_id,
  merchantName: row.merchant_name,
});

/**
 * Sign-in and server-side sessions. The cookie holds 32 random bytes; the database only their
 * sha256. The CSRF token is an HMAC of the session token: bound to the session, never stored,
 * and useless without the cookie.
 */
@Injectable()
export class SessionsService {
  constructor(
    private readonly users: UsersRepository,
    private readonly sessions: SessionsRepository,
    private readonly passwords: Passwords,
  ) {}

  /**
   * Checks the password (the same work for an unknown email), within the throttle: each attempt
   * counts against the email and the address before the check, and past the limit the answer is
   * 429 whatever the password, so a blocked guesser learns nothing.
   */
  async login(email: string, password: string, address: string): Promise<{ token: string; user: SessionUser }> {
    const emailKey = `email:${sha256Hex(email.trim().toLowerCase()).slice(0, 32)}`;
    const addressKey = `ip:${address}`;
    const counts = await this.sessions.countAttempt([emailKey, addressKey], LOGIN_WINDOW_SECONDS);
    const over = counts.filter((c) => c.attempts > LOGIN_ATTEMPTS_PER_WINDOW);
    if (over.length) {
      const wait = Math.max(...over.map((c) => c.wait));
      throw problem(
        COMMON_ERRORS.rate_limited,
        `too many failed sign-ins for this email or from this address (limit ${LOGIN_ATTEMPTS_PER_WINDOW} per ${LOGIN_WINDOW_SECONDS / 60} minutes); retry after ${wait} s`,
        { headers: { 'Retry-After': String(wait) }, limit: LOGIN_ATTEMPTS_PER_WINDOW },
      );
    }
    const row = await this.users.findForLogin(email.trim());
    if (!(await this.passwords.verifyOrDummy(row?.password_hash ?? null, password)) || !row) {
      throw problem(USERS_ERRORS.invalid_credentials, 'the email or the password is wrong');
    }
    await this.sessions.forgiveAttempt(emailKey, addressKey);
    const token = randomToken(32);
    await this.sessions.insert({ id: newId('ses'), userId: row.id, tokenHash: sha256Hex(token), ttlSeconds: SESSION_TTL_SECONDS });
    await this.sessions.purgeOld();
    return { token, user: { id: row.id, email: row.email, role: row.role, merchantId: row.merchant_id, merchantName: null } };
  }

  /** The user of a live session; null for an unknown, expired or revoked one (or a disabled merchant's member). */
  async authenticate(token: string): Promise<SessionUser | null> {
    const row = await this.sessions.findLive(sha256Hex(token));
    return row ? presentRow(row) : null;
  }

  csrfTokenFor(token: string): string {
    return hmacSha256Hex(token, 'khqr-csrf-v1');
  }

  /** Constant time: the header must equal the session's CSRF token. */
  csrfMatches(token: string, header: unknown): boolean {
    return typeof header === 'string' && constantTimeEqual(header, this.csrfTokenFor(token));
  }

  async logout(token: string): Promise<void> {
    await this.sessions.revoke(sha256Hex(token));
  }
}
