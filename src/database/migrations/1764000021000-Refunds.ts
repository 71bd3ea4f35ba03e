import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refunds. An order keeps `refunded_minor`: the sum of its refunds that have not failed (pending and
 * succeeded), reserved by the one conditional UPDATE that creates a refund and given back when a refund
 * fails. The CHECK makes the database itself refuse more refunded than paid, whatever the code does.
 *
 * A refund through a gateway's API stays PENDING until the gateway says it is final; the reconciliation
 * sweeper claims the due ones (next_check_at, a short lease in claimed_until/claimed_by, swept_at so one
 * run checks each once) and asks again.
 */
export class Refunds1764000021000 implements MigrationInterface {
  name = 'Refunds1764000021000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE orders ADD COLUMN refunded_minor bigint NOT NULL DEFAULT 0`);
    await q.query(
      `ALTER TABLE orders ADD CONSTRAINT orders_refunded_within_paid CHECK (refunded_minor >= 0 AND refunded_minor <= COALESCE(paid_amount_minor, 0))`,
    );
    await q.query(`
      CREATE TABLE refunds (
        id text PRIMARY KEY,
        merchant_id text NOT NULL REFERENCES merchants(id),
        order_id text NOT NULL REFERENCES orders(id),
        transaction_id text NOT NULL REFERENCES transactions(id),
        provider text NOT NULL,
        amount_minor bigint NOT NULL CHECK (amount_minor > 0),
        currency text NOT NULL,
        status text NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
        method text NOT NULL CHECK (method IN ('provider_api', 'manual')),
        reason text,
        failure_reason text,
        provider_refund_id text,
        actor text NOT NULL,
        next_check_at timestamptz,
        last_checked_at timestamptz,
        check_count integer NOT NULL DEFAULT 0,
        last_error text,
        claimed_until timestamptz,
        claimed_by text,
        swept_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`CREATE INDEX refunds_order ON refunds (order_id, id DESC)`);
    await q.query(`CREATE INDEX refunds_merchant ON refunds (merchant_id, id DESC)`);
    await q.query(`CREATE INDEX refunds_pending_due ON refunds (next_check_at, id) WHERE status = 'PENDING'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE refunds`);
    await q.query(`ALTER TABLE orders DROP CONSTRAINT orders_refunded_within_paid, DROP COLUMN refunded_minor`);
  }
}
