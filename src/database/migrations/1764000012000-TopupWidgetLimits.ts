import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The top-up widget's amount bounds and preset amounts move from the embed URL (which anyone
 * could edit) into the merchant's SMM panel settings, in minor units; defaults are the old
 * embed defaults, 1.00 to 1000.00 USD. And a per-merchant fixed-window counter
 * (merchant_rate_windows), shared by every instance, for the widget's order-creation cap and
 * the pay page's gateway-check budget: one row per (merchant, bucket), so one merchant's
 * traffic only ever locks its own row.
 */
export class TopupWidgetLimits1764000012000 implements MigrationInterface {
  name = 'TopupWidgetLimits1764000012000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE smm_panels
        ADD COLUMN min_amount_minor bigint NOT NULL DEFAULT 100,
        ADD COLUMN max_amount_minor bigint NOT NULL DEFAULT 100000,
        ADD COLUMN preset_amounts_minor bigint[] NOT NULL DEFAULT '{}',
        ADD CONSTRAINT smm_panels_amount_bounds CHECK (min_amount_minor > 0 AND min_amount_minor <= max_amount_minor);
      CREATE TABLE merchant_rate_windows (
        merchant_id text NOT NULL REFERENCES merchants(id),
        bucket text NOT NULL,
        window_start timestamptz NOT NULL,
        used integer NOT NULL,
        PRIMARY KEY (merchant_id, bucket)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE merchant_rate_windows;
      ALTER TABLE smm_panels DROP CONSTRAINT smm_panels_amount_bounds, DROP COLUMN preset_amounts_minor, DROP COLUMN max_amount_minor, DROP COLUMN min_amount_minor;
    `);
  }
}
