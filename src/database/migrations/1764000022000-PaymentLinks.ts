import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Payment links (DESIGN "Payment links"): a public page at /l/{slug} whose Pay button creates an
 * order. The slug is kept for the link's `url` and found by its sha256 (slug_hash), so the public
 * lookup compares no secret in the application. payments_count and amount_collected_minor count
 * PAID orders and move in the same database transaction as the order's transition to PAID.
 * Orders gain payment_link_id (nullable), indexed for the reservation count and the orders filter.
 */
export class PaymentLinks1764000022000 implements MigrationInterface {
  name = 'PaymentLinks1764000022000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE payment_links (
        id text PRIMARY KEY,
        merchant_id text NOT NULL REFERENCES merchants(id),
        slug text NOT NULL,
        slug_hash text NOT NULL UNIQUE,
        description text NOT NULL,
        currency text NOT NULL CHECK (currency IN ('USD', 'KHR')),
        amount_minor bigint CHECK (amount_minor > 0),
        amount_min_minor bigint CHECK (amount_min_minor > 0),
        amount_max_minor bigint,
        providers text[] NOT NULL CHECK (cardinality(providers) > 0),
        max_payments integer CHECK (max_payments > 0),
        expires_at timestamptz,
        success_url text,
        metadata jsonb,
        active boolean NOT NULL DEFAULT true,
        deactivated_at timestamptz,
        payments_count integer NOT NULL DEFAULT 0 CHECK (payments_count >= 0),
        amount_collected_minor bigint NOT NULL DEFAULT 0 CHECK (amount_collected_minor >= 0),
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        CONSTRAINT payment_links_amount_shape CHECK (
          (amount_minor IS NOT NULL AND amount_min_minor IS NULL AND amount_max_minor IS NULL)
          OR (amount_minor IS NULL AND amount_min_minor IS NOT NULL AND amount_max_minor IS NOT NULL AND amount_min_minor <= amount_max_minor))
      );
      CREATE INDEX payment_links_merchant_id ON payment_links (merchant_id, id DESC);
      ALTER TABLE orders ADD COLUMN payment_link_id text REFERENCES payment_links(id);
      CREATE INDEX orders_payment_link_id ON orders (payment_link_id, id DESC) WHERE payment_link_id IS NOT NULL;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX orders_payment_link_id;
      ALTER TABLE orders DROP COLUMN payment_link_id;
      DROP TABLE payment_links;
    `);
  }
}
