import { MigrationInterface, QueryRunner } from 'typeorm';

/** Core schema: merchants, keys, provider accounts, orders, transactions, idempotency, the events outbox, and the sandbox's ledger. */
export class Init1764000000000 implements MigrationInterface {
  name = 'Init1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE merchants (
        id text PRIMARY KEY,
        name text NOT NULL,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        merchant_id text NOT NULL REFERENCES merchants(id),
        key_hash text NOT NULL UNIQUE,
        last4 text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz,
        revoked_at timestamptz
      );
      CREATE INDEX api_keys_merchant ON api_keys (merchant_id);
      CREATE TABLE provider_accounts (
        id text PRIMARY KEY,
        merchant_id text NOT NULL REFERENCES merchants(id),
        provider text NOT NULL,
        credentials_sealed text NOT NULL,
        needs_attention text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (merchant_id, provider)
      );
      CREATE SEQUENCE transaction_number_seq START WITH 100000001;
      CREATE TABLE orders (
        id text PRIMARY KEY,
        merchant_id text NOT NULL REFERENCES merchants(id),
        reference text NOT NULL,
        status text NOT NULL CHECK (status IN ('PENDING', 'PAID', 'EXPIRED', 'CANCELLED', 'FAILED')),
        amount_minor bigint NOT NULL CHECK (amount_minor > 0),
        currency text NOT NULL CHECK (currency IN ('USD', 'KHR')),
        provider text NOT NULL,
        description text,
        customer jsonb,
        metadata jsonb,
        success_url text,
        cancel_url text,
        checkout_url text,
        qr_payload text,
        qr_md5 text,
        qr_image_token text UNIQUE,
        expires_at timestamptz NOT NULL,
        paid_at timestamptz,
        paid_amount_minor bigint,
        paid_currency text,
        verification text CHECK (verification IN ('provider_api', 'signed_webhook', 'signed_return', 'browser_return', 'manual')),
        flags text[] NOT NULL DEFAULT '{}',
        event_seq integer NOT NULL DEFAULT 0,
        status_reason text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (merchant_id, reference)
      );
      CREATE INDEX orders_merchant_id ON orders (merchant_id, id DESC);
      CREATE INDEX orders_merchant_status ON orders (merchant_id, status, id DESC);
      CREATE TABLE transactions (
        id text PRIMARY KEY,
        number bigint NOT NULL UNIQUE,
        order_id text NOT NULL REFERENCES orders(id),
        merchant_id text NOT NULL REFERENCES merchants(id),
        provider text NOT NULL,
        provider_reference text NOT NULL,
        provider_proof text,
        status text NOT NULL CHECK (status IN ('PENDING', 'PAID', 'EXPIRED', 'CANCELLED', 'FAILED')),
        amount_minor bigint NOT NULL,
        currency text NOT NULL,
        wire_amount text NOT NULL,
        return_token_hash text UNIQUE,
        return_token_used_at timestamptz,
        expires_at timestamptz NOT NULL,
        next_check_at timestamptz,
        last_checked_at timestamptz,
        check_count integer NOT NULL DEFAULT 0,
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (provider, provider_reference)
      );
      CREATE UNIQUE INDEX transactions_provider_proof ON transactions (provider, provider_proof) WHERE provider_proof IS NOT NULL;
      CREATE INDEX transactions_order ON transactions (order_id);
      CREATE INDEX transactions_due ON transactions (next_check_at) WHERE status = 'PENDING';
      CREATE TABLE idempotency_keys (
        merchant_id text NOT NULL REFERENCES merchants(id),
        key text NOT NULL,
        request_hash text NOT NULL,
        state text NOT NULL CHECK (state IN ('in_flight', 'done')),
        response_status integer,
        response_body jsonb,
        locked_until timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (merchant_id, key)
      );
      CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
      CREATE TABLE events (
        id text PRIMARY KEY,
        merchant_id text NOT NULL REFERENCES merchants(id),
        order_id text NOT NULL REFERENCES orders(id),
        type text NOT NULL,
        sequence integer NOT NULL,
        data jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (order_id, sequence)
      );
      CREATE INDEX events_merchant ON events (merchant_id, id DESC);
      CREATE TABLE audit_log (
        id text PRIMARY KEY,
        actor text NOT NULL,
        action text NOT NULL,
        subject_id text NOT NULL,
        reason text,
        details jsonb,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX audit_log_subject ON audit_log (subject_id);
      CREATE TABLE sandbox_payments (
        provider text NOT NULL,
        provider_reference text NOT NULL,
        amount text NOT NULL,
        currency text NOT NULL,
        gateway_txn_id text NOT NULL,
        paid_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, provider_reference)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `DROP TABLE sandbox_payments, audit_log, events, idempotency_keys, transactions, orders, provider_accounts, api_keys, merchants CASCADE; DROP SEQUENCE transaction_number_seq;`,
    );
  }
}
