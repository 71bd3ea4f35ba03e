import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fair webhook dispatch. Endpoints get a circuit breaker kept in the database, so every
 * instance agrees: consecutive attempts that got no answer (timeouts, refused connections) and,
 * once those reach the threshold, the time until which nothing is sent to it.
 *
 * The claim now works per endpoint (at most N in flight each, round-robin across merchants): an
 * index of waiting rows per endpoint (it also serves the dead-lettering of an endpoint's waiting
 * rows, which had an index of its own), plus a small index of what is in flight, counted by
 * every claim. The global due index stays for the metrics backlog query.
 */
export class WebhookFairness1764000016000 implements MigrationInterface {
  name = 'WebhookFairness1764000016000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE webhook_endpoints ADD COLUMN consecutive_failures integer NOT NULL DEFAULT 0, ADD COLUMN paused_until timestamptz`);
    await q.query(
      `CREATE INDEX webhook_deliveries_endpoint_due ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE status IN ('pending', 'failed', 'delivering')`,
    );
    await q.query(`CREATE INDEX webhook_deliveries_in_flight ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE status = 'delivering'`);
    await q.query(`DROP INDEX webhook_deliveries_endpoint`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id) WHERE status IN ('pending', 'failed')`);
    await q.query(`DROP INDEX webhook_deliveries_in_flight`);
    await q.query(`DROP INDEX webhook_deliveries_endpoint_due`);
    await q.query(`ALTER TABLE webhook_endpoints DROP COLUMN paused_until, DROP COLUMN consecutive_failures`);
  }
}
