import type { EntityManager } from 'typeorm';
import type { Order } from './order.entity';

/**
 * Told of every order that becomes PAID, inside the database transaction of that transition (so
 * what it writes commits or rolls back with the order's status and event). Bound by a feature
 * module that keeps tallies on orders (payment links); orders/ depends on none of them.
 */
export abstract class PaidOrderHook {
  abstract orderPaid(manager: EntityManager, order: Order): Promise<void>;
}

/** Where an order comes from when not straight from POST /v1/orders: a payment link's page. */
export interface OrderOrigin {
  paymentLinkId: string;
  /**
   * Runs first inside the database transaction that inserts the order (after the gateway call);
   * throwing refuses the order and nothing is written. The place for a check that must hold
   * atomically with the insert (a link's remaining payments).
   */
  admit(manager: EntityManager): Promise<void>;
}
