import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sweeper's claim (TransactionsRepository.claimDue) takes one provider's PENDING transactions in the order
 * `next_check_at NULLS FIRST, id`. The index it had, (provider, next_check_at) ascending, keeps NULLs last and has no
 * `id`, so every claim read and sorted all of the provider's candidates to return its 500 (docs/benchmarks.md,
 * "Sweeps (issue 19)"). This index has the claim's own order: a claim reads its rows in order and stops. It replaces
 * the old one, which it covers (the scheduled claim's `next_check_at <= now()` is a range on the same key).
 */
export class SweepClaimOrder1764000031000 implements MigrationInterface {
  name = 'SweepClaimOrder1764000031000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX transactions_claim_order ON transactions (provider, next_check_at NULLS FIRST, id) WHERE status = 'PENDING'`);
    await q.query(`DROP INDEX transactions_pending_provider`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX transactions_pending_provider ON transactions (provider, next_check_at) WHERE status = 'PENDING'`);
    await q.query(`DROP INDEX transactions_claim_order`);
  }
}
