import { Injectable } from '@nestjs/common';
import { newId } from '../common/ids';
import { notFound } from '../common/problem';
import { ApiKeysService } from './api-keys.service';
import { Merchant } from './merchant.entity';
import { MerchantsRepository } from './merchants.repository';

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
    private readonly merchants: MerchantsRepository,
    private readonly keys: ApiKeysService,
  ) {}

  /** Creates a merchant with a live and a test API key; the keys are returned here and never again. */
  async create(name: string, id = newId('mer')): Promise<{ merchant: Merchant; apiKey: string; testApiKey: string }> {
    return this.merchants.inTransaction(async (manager) => {
      await this.merchants.insert(manager, id, name);
      const { key } = await this.keys.issue(manager, id, null, true);
      const { key: testKey } = await this.keys.issue(manager, id, null, false);
      const merchant = await this.merchants.getById(manager, id);
      return { merchant, apiKey: key, testApiKey: testKey };
    });
  }

  async get(id: string): Promise<Merchant> {
    const merchant = await this.merchants.findById(id);
    if (!merchant) throw notFound('merchant');
    return merchant;
  }

  list(limit: number, startingAfter?: string): Promise<Merchant[]> {
    return this.merchants.list(limit, startingAfter);
  }

  exists(id: string): Promise<boolean> {
    return this.merchants.exists(id);
  }
}
