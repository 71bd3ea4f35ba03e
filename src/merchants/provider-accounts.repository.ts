import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** The provider_accounts table's reads by intent. */
@Injectable()
export class ProviderAccountsRepository {
  constructor(private readonly db: DataSource) {}

  /** The gateways the merchant has an account for (ids as stored; the caller keeps those this server knows). */
  async configuredProviders(merchantId: string): Promise<string[]> {
    const rows: { provider: string }[] = await this.db.query(`SELECT provider FROM provider_accounts WHERE merchant_id = $1`, [merchantId]);
    return rows.map((r) => r.provider);
  }
}
