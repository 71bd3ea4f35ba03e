import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** The merchants table's reads by intent. */
@Injectable()
export class MerchantsRepository {
  constructor(private readonly db: DataSource) {}

  /** What a public page shows of a merchant (its name) and whether it may take payments; null when unknown. */
  async findPublicProfile(merchantId: string): Promise<{ name: string; status: string } | null> {
    const rows: { name: string; status: string }[] = await this.db.query(`SELECT name, status FROM merchants WHERE id = $1`, [merchantId]);
    return rows[0] ?? null;
  }
}
