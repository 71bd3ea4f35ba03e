import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Merchant webhooks: endpoints (secret sealed with SecretBox, previous secret kept through a
 * rotation's grace period), one delivery row per (event, endpoint) written in the event's own
 * transaction, and a log of every attempt.
 */
export class Webhooks1764000006000 implements MigrationInterface {
  name = 'Webhooks1764000006000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_endpoints (
        id text PRIMARY KEY,
        merchant_id text NOT NULL REFERENCES merchants(id),
        url text NOT NULL,
        -- empty = every event type
        events text[] NOT NULL DEFAULT '{}',
        secret_sealed text NOT NULL,
        previous_secret_sealed text,
        previous_secret_expires_at timestamptz,
        status text NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
        disabled_reason text,
        deleted_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, id DESC) WHERE deleted_at IS NULL;

      CREATE TABLE webhook_deliveries (
        id text PRIMARY KEY,
        event_id text NOT NULL REFERENCES events(id),
        endpoint_id text NOT NULL REFERENCES webhook_endpoints(id),
        merchant_id text NOT NULL REFERENCES merchants(id),
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivering', 'delivered', 'failed', 'dead')),
        attempts integer NOT NULL DEFAULT 0,
        -- when the row is next due; while 'delivering' it equals claimed_until, so an expired claim is simply due again
        next_attempt_at timestamptz,
        claimed_until timestamptz,
        claimed_by text,
        last_attempt_at timestamptz,
        last_status integer,
        last_latency_ms integer,
        last_response text,
        last_error text,
        delivered_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (event_id, endpoint_id)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status IN ('pending', 'failed', 'delivering');
      CREATE INDEX webhook_deliveries_status ON webhook_deliveries (status, id DESC);
      CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id) WHERE status IN ('pending', 'failed');

      CREATE TABLE webhook_attempts (
        id text PRIMARY KEY,
        delivery_id text NOT NULL REFERENCES webhook_deliveries(id),
        attempt integer NOT NULL,
        started_at timestamptz NOT NULL,
        status integer,
        latency_ms integer NOT NULL,
        response_snippet text,
        error text,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE webhook_attempts, webhook_deliveries, webhook_endpoints`);
  }
}
