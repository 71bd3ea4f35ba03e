import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Merchant, MerchantStatus } from './merchant.entity';

/** The merchants table's reads and writes, by intent. */
@Injectable()
export class MerchantsRepository {
  constructor(private readonly db: DataSource) {}

  inTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async insert(manager: EntityManager, id: string, name: string): Promise<void> {
    await manager.query(`INSERT INTO merchants (id, name) VALUES ($1, $2)`, [id, name]);
  }

  findById(id: string): Promise<Merchant | null> {
    return this.db.getRepository(Merchant).findOneBy({ id });
  }

  /** The merchant `id`, read inside `manager`'s database transaction; throws when there is none. */
  getById(manager: EntityManager, id: string): Promise<Merchant> {
    return manager.findOneByOrFail(Merchant, { id });
  }

  async exists(id: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query('SELECT 1 FROM merchants WHERE id = $1', [id]);
    return rows.length > 0;
  }

  /** Newest first; one row more than `limit`, so the caller can tell has_more. */
  list(limit: number, startingAfter?: string): Promise<Merchant[]> {
    const qb = this.db
      .getRepository(Merchant)
      .createQueryBuilder('m')
      .orderBy('m.id', 'DESC')
      .limit(limit + 1);
    if (startingAfter) qb.where('m.id < :after', { after: startingAfter });
    return qb.getMany();
  }

  /** Locks the merchant row until `manager`'s transaction ends, so changes to its keys or status serialize; false when there is none. */
  async lock(manager: EntityManager, id: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM merchants WHERE id = $1 FOR UPDATE`, [id]);
    return rows.length > 0;
  }

  /** lock(), answering the status it locked (null when there is no such merchant). */
  async lockStatus(manager: EntityManager, id: string): Promise<MerchantStatus | null> {
    const rows: { status: MerchantStatus }[] = await manager.query(`SELECT status FROM merchants WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0]?.status ?? null;
  }

  async setStatus(manager: EntityManager, id: string, status: MerchantStatus): Promise<void> {
    await manager.query(`UPDATE merchants SET status = $2, updated_at = now() WHERE id = $1`, [id, status]);
  }

  /** What a public page shows of a merchant (its name) and whether it may take payments; null when unknown. */
  async findPublicProfile(merchantId: string): Promise<{ name: string; status: string } | null> {
    const rows: { name: string; status: string }[] = await this.db.query(`SELECT name, status FROM merchants WHERE id = $1`, [merchantId]);
    return rows[0] ?? null;
  }
}
