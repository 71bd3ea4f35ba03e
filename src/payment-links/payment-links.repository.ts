import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import type { Currency } from '../common/money';
import type { Scope } from '../common/scope';
import { returnedRows } from '../database/rows';

/** One row of payment_links, in minor units. */
export interface PaymentLink {
  id: string;
  merchantId: string;
  /** The mode of the key that created it: its page creates orders of this mode. */
  livemode: boolean;
  slug: string;
  description: string;
  currency: Currency;
  /** Fixed amount; null: the customer types one within amountMinMinor..amountMaxMinor. */
  amountMinor: number | null;
  amountMinMinor: number | null;
  amountMaxMinor: number | null;
  providers: string[];
  maxPayments: number | null;
  expiresAt: Date | null;
  successUrl: string | null;
  metadata: Record<string, unknown> | null;
  active: boolean;
  deactivatedAt: Date | null;
  paymentsCount: number;
  amountCollectedMinor: number;
  createdAt: Date;
  updatedAt: Date;
}

export type NewPaymentLink = Omit<PaymentLink, 'active' | 'deactivatedAt' | 'paymentsCount' | 'amountCollectedMinor' | 'updatedAt'> & { slugHash: string };

/** What the admission check reads once it holds the link's row lock. */
export interface LinkCapacity {
  active: boolean;
  expired: boolean;
  paymentsCount: number;
  maxPayments: number | null;
  /** PENDING orders of the link that can still be paid (not past expires_at). */
  openOrders: number;
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function toLink(r: Record<string, unknown>): PaymentLink {
  return {
    id: String(r.id),
    merchantId: String(r.merchant_id),
    livemode: Boolean(r.livemode),
    slug: String(r.slug),
    description: String(r.description),
    currency: r.currency as Currency,
    amountMinor: num(r.amount_minor),
    amountMinMinor: num(r.amount_min_minor),
    amountMaxMinor: num(r.amount_max_minor),
    providers: r.providers as string[],
    maxPayments: num(r.max_payments),
    expiresAt: (r.expires_at as Date | null) ?? null,
    successUrl: (r.success_url as string | null) ?? null,
    metadata: (r.metadata as Record<string, unknown> | null) ?? null,
    active: Boolean(r.active),
    deactivatedAt: (r.deactivated_at as Date | null) ?? null,
    paymentsCount: Number(r.payments_count),
    amountCollectedMinor: Number(r.amount_collected_minor),
    createdAt: r.created_at as Date,
    updatedAt: r.updated_at as Date,
  };
}

/** The payment_links table. Every merchant-facing read and write is scoped by merchant_id; the public page finds a link by its slug's sha256 only. */
@Injectable()
export class PaymentLinksRepository {
  constructor(private readonly db: DataSource) {}

  async insert(l: NewPaymentLink): Promise<PaymentLink> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `INSERT INTO payment_links (id, merchant_id, slug, slug_hash, description, currency, amount_minor, amount_min_minor, amount_max_minor,
         providers, max_payments, expires_at, success_url, metadata, created_at, updated_at, livemode)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15, $16) RETURNING *`,
      [
        l.id,
        l.merchantId,
        l.slug,
        l.slugHash,
        l.description,
        l.currency,
        l.amountMinor,
        l.amountMinMinor,
        l.amountMaxMinor,
        l.providers,
        l.maxPayments,
        l.expiresAt,
        l.successUrl,
        l.metadata ? JSON.stringify(l.metadata) : null,
        l.createdAt,
        l.livemode,
      ],
    );
    return toLink(rows[0]);
  }

  async findForMerchant(scope: Scope, id: string): Promise<PaymentLink | null> {
    const rows: Record<string, unknown>[] = await this.db.query(`SELECT * FROM payment_links WHERE merchant_id = $1 AND livemode = $3 AND id = $2`, [
      scope.merchantId,
      id,
      scope.livemode,
    ]);
    return rows[0] ? toLink(rows[0]) : null;
  }

  /** Newest first; one row more than `limit` so the caller can tell has_more. */
  async list(scope: Scope, limit: number, startingAfter?: string): Promise<PaymentLink[]> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT * FROM payment_links WHERE merchant_id = $1 AND livemode = $4 AND ($2::text IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
      [scope.merchantId, startingAfter ?? null, limit + 1, scope.livemode],
    );
    return rows.map(toLink);
  }

  /** Deactivates (once: the first deactivated_at stays); null when the merchant has no such link. */
  async deactivate(scope: Scope, id: string): Promise<PaymentLink | null> {
    const rows = returnedRows<Record<string, unknown>>(
      await this.db.query(
        `UPDATE payment_links SET active = false, deactivated_at = COALESCE(deactivated_at, now()),
           updated_at = CASE WHEN active THEN now() ELSE updated_at END
         WHERE merchant_id = $1 AND livemode = $3 AND id = $2 RETURNING *`,
        [scope.merchantId, id, scope.livemode],
      ),
    );
    return rows[0] ? toLink(rows[0]) : null;
  }

  /** The link behind a public slug, by the slug's sha256 (an index lookup on a hash: no secret is compared in JavaScript). */
  async findBySlugHash(slugHash: string): Promise<PaymentLink | null> {
    const rows: Record<string, unknown>[] = await this.db.query(`SELECT * FROM payment_links WHERE slug_hash = $1`, [slugHash]);
    return rows[0] ? toLink(rows[0]) : null;
  }

  /**
   * Locks the link's row for the rest of `manager`'s transaction (admissions of one link queue here; a
   * PAID transition's counter update waits for it too), then counts in a second statement, whose fresh
   * snapshot sees every order committed by whoever held the lock before: never read-then-write.
   */
  async lockCapacity(manager: EntityManager, linkId: string): Promise<LinkCapacity> {
    await manager.query(`SELECT id FROM payment_links WHERE id = $1 FOR NO KEY UPDATE`, [linkId]);
    const [row]: { active: boolean; expired: boolean; payments_count: number; max_payments: number | null; open_orders: string }[] = await manager.query(
      `SELECT l.active, (l.expires_at IS NOT NULL AND l.expires_at <= now()) AS expired, l.payments_count, l.max_payments,
              (SELECT count(*) FROM orders o WHERE o.payment_link_id = l.id AND o.status = 'PENDING' AND o.expires_at > now()) AS open_orders
         FROM payment_links l WHERE l.id = $1`,
      [linkId],
    );
    return {
      active: row.active,
      expired: row.expired,
      paymentsCount: Number(row.payments_count),
      maxPayments: num(row.max_payments),
      openOrders: Number(row.open_orders),
    };
  }

  /** One more PAID order of the link: an atomic increment inside the order's transition transaction. */
  async countPaid(manager: EntityManager, scope: Scope, linkId: string, amountMinor: number): Promise<void> {
    await manager.query(
      `UPDATE payment_links SET payments_count = payments_count + 1, amount_collected_minor = amount_collected_minor + $3, updated_at = now()
        WHERE id = $1 AND merchant_id = $2 AND livemode = $4`,
      [linkId, scope.merchantId, amountMinor, scope.livemode],
    );
  }
}
