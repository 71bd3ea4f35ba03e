import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * When an unsigned gateway notice (PayWay's pushback) last made us ask the gateway about a transaction. Anyone can post
 * such a notice for a guessable pending tran_id; each one would cost a Check Transaction call against the merchant's
 * rate limit at the gateway. A notice is checked only when this is older than the minimum interval (one conditional
 * UPDATE, so it holds across instances).
 */
export class ConfirmCheckThrottle1764000028000 implements MigrationInterface {
  name = 'ConfirmCheckThrottle1764000028000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transactions ADD COLUMN confirm_checked_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transactions DROP COLUMN confirm_checked_at`);
  }
}
