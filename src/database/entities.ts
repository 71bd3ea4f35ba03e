import { ApiKey, Merchant, ProviderAccountRow } from '../merchants/merchant.entity';
import { Order, Transaction } from '../orders/order.entity';
import { ReconciliationRun } from '../reconciliation/reconciliation-run.entity';

/** Every TypeORM entity. Most writes are explicit SQL (compare-and-set); entities type the reads. */
export const ENTITIES = [Merchant, ApiKey, ProviderAccountRow, Order, Transaction, ReconciliationRun];
