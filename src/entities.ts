import { ApiKey, Merchant, ProviderAccountRow } from './merchants/merchant.entity';
import { Order, Transaction } from './orders/order.entity';
import { ReconciliationRun } from './reconciliation/reconciliation-run.entity';

/**
 * Every TypeORM entity. Most writes are explicit SQL (compare-and-set); entities type the reads.
 * Listed here, beside the app module, and handed to database/ by its callers: database/ sits below
 * the feature folders and imports none of them (no folder cycle).
 */
export const ENTITIES = [Merchant, ApiKey, ProviderAccountRow, Order, Transaction, ReconciliationRun];
