import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The hosted checkout's cancel link gets its own token (stored hashed), independent of the
 * return token: a customer holding the cancel URL must not hold the link that pays.
 * Transactions created before this had one token in both URLs (the gateway still holds those
 * URLs): their cancel link keeps working by carrying the return token's hash over, and
 * following it now spends the return token.
 */
export class CheckoutCancelToken1764000010300 implements MigrationInterface {
  name = 'CheckoutCancelToken1764000010300';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transactions ADD COLUMN cancel_token_hash text UNIQUE`);
    await q.query(`UPDATE transactions SET cancel_token_hash = return_token_hash WHERE provider = 'checkout' AND return_token_hash IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE transactions DROP COLUMN cancel_token_hash`);
  }
}
