import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * People who sign in to the dashboard. A user is either a member of one merchant (`owner`,
 * `developer`, `viewer`) or a platform `operator` (no merchant). Emails are unique whatever
 * their case. Sessions are server-side: only the sha256 of the random cookie token is stored,
 * so a copy of this table opens nothing. `login_throttle` counts failed sign-ins per email and
 * per client address in fixed windows, in the database so every instance agrees.
 */
export class UsersAndSessions1764000024000 implements MigrationInterface {
  name = 'UsersAndSessions1764000024000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE users (
        id text PRIMARY KEY,
        email text NOT NULL,
        password_hash text NOT NULL,
        role text NOT NULL CHECK (role IN ('owner', 'developer', 'viewer', 'operator')),
        merchant_id text REFERENCES merchants(id),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK ((role = 'operator') = (merchant_id IS NULL))
      );
      CREATE UNIQUE INDEX users_email ON users (lower(email));
      CREATE INDEX users_merchant ON users (merchant_id) WHERE merchant_id IS NOT NULL;
      CREATE TABLE sessions (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz
      );
      CREATE INDEX sessions_user ON sessions (user_id);
      CREATE INDEX sessions_expires ON sessions (expires_at);
      CREATE TABLE login_throttle (
        key text PRIMARY KEY,
        failures integer NOT NULL,
        window_ends_at timestamptz NOT NULL
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE login_throttle; DROP TABLE sessions; DROP TABLE users;`);
  }
}
