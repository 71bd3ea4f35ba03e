import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';

export interface SandboxPayment {
  provider: string;
  providerReference: string;
  /** Canonical decimal string of what the customer paid ("12.50"). */
  amount: string;
  currency: string;
  /** The gateway's own id for the payment (bakong hash, checkout transaction_id, …). */
  gatewayTxnId: string;
  paidAt: Date;
}

/** The sandbox_payments table: what the simulated gateways know was paid. In the database so several app instances share it. */
@Injectable()
export class SandboxPaymentsRepository {
  constructor(private readonly db: DataSource) {}

  /** Records a payment once; a second pay of the same reference returns the first. */
  async pay(provider: string, providerReference: string, amount: string, currency: string, paidAt = new Date()): Promise<SandboxPayment> {
    await this.db.query(
      `INSERT INTO sandbox_payments (provider, provider_reference, amount, currency, gateway_txn_id, paid_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (provider, provider_reference) DO NOTHING`,
      [provider, providerReference, amount, currency, randomBytes(16).toString('hex'), paidAt],
    );
    return (await this.find(provider, providerReference))!;
  }

  async find(provider: string, providerReference: string): Promise<SandboxPayment | null> {
    const rows: Record<string, unknown>[] = await this.db.query(`SELECT * FROM sandbox_payments WHERE provider = $1 AND provider_reference = $2`, [
      provider,
      providerReference,
    ]);
    return rows[0] ? toPayment(rows[0]) : null;
  }

  async findMany(provider: string, refs: string[]): Promise<Map<string, SandboxPayment>> {
    if (!refs.length) return new Map();
    const rows: Record<string, unknown>[] = await this.db.query(`SELECT * FROM sandbox_payments WHERE provider = $1 AND provider_reference = ANY($2)`, [
      provider,
      refs,
    ]);
    return new Map(rows.map((r) => [String(r.provider_reference), toPayment(r)]));
  }
}

function toPayment(r: Record<string, unknown>): SandboxPayment {
  return {
    provider: String(r.provider),
    providerReference: String(r.provider_reference),
    amount: String(r.amount),
    currency: String(r.currency),
    gatewayTxnId: String(r.gateway_txn_id),
    paidAt: new Date(r.paid_at as string),
  };
}
