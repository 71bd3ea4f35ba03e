import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { newId } from '../common/ids';
import { notFound } from '../common/problem';
import { ApiKeysService } from './api-keys.service';
import { Merchant } from './merchant.entity';

export interface MerchantView {
  id: string;
  object: 'merchant';
  name: string;
  status: string;
  created_at: string;
}

export const presentMerchant = (m: Merchant): MerchantView => ({
  id: m.id,
  object: 'merchant',
  name: m.name,
  status: m.status,
  created_at: m.createdAt.toISOString(),
});

@Injectable()
export class MerchantsService {
  constructor(
    private readonly db: DataSource,
    private readonly keys: ApiKeysService,
  ) {}

  /** Creates a merchant and its first API key; the key is returned here and never again. */
  async create(name: string, id = newId('mer')): Promise<{ merchant: Merchant; apiKey: string }> {
    return this.db.transaction(async (manager) => {
      await manager.query(`INSERT INTO merchants (id, name) VALUES ($1, $2)`, [id, name]);
      const { key } = await this.keys.issue(manager, id);
      const merchant = await manager.findOneByOrFail(Merchant, { id });
      return { merchant, apiKey: key };
    });
  }

  async get(id: string): Promise<Merchant> {
    const merchant = await this.db.getRepository(Merchant).findOneBy({ id });
    if (!merchant) throw notFound('merchant');
    return merchant;
  }

  async list(limit: number, startingAfter?: string): Promise<Merchant[]> {
    const qb = this.db.getRepository(Merchant).createQueryBuilder('m').orderBy('m.id', 'DESC').limit(limit + 1);
    if (startingAfter) qb.where('m.id < :after', { after: startingAfter });
    return qb.getMany();
  }
}
