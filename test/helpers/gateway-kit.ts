import type { TestApp, TestMerchant, TestResponse } from './test-app';

/**
 * The helpers every gateway's end-to-end spec needs, once: create an order at the gateway, read
 * it back, verify it, pay it through the sandbox, and read its events and state from the database.
 * The spec keeps its own gateway formulas (hashes, signatures), written from the gateway's document.
 *
 * `app` and `merchant` are getters because specs start the app in beforeAll, after the kit is made.
 */
export interface GatewayKitOptions {
  provider: string;
  app: () => TestApp;
  /** The merchant the helpers act for when none is given. */
  merchant: () => TestMerchant;
  /** Order references are `${prefix}-${Date.now()}-${n}`, unique within the run. */
  referencePrefix: string;
  /** Body fields every new order carries unless the call overrides them (amount, success_url, …). */
  orderDefaults?: Record<string, unknown>;
}

export interface GatewayKit {
  /** POST /v1/orders at this gateway; expects 201 and returns the order. */
  createOrder(body?: Record<string, unknown>, merchant?: TestMerchant): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** A fresh reference, as createOrder would give. */
  nextReference(): string;
  getOrder(id: string, merchant?: TestMerchant): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  verify(id: string, merchant?: TestMerchant): Promise<TestResponse>;
  /** POST /sandbox/control/pay for this gateway (the customer pays); expects 200 and returns the answer. */
  sandboxPay(providerReference: string, amount?: string): Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** The order's event types, in sequence. */
  eventsOf(orderId: string): Promise<string[]>;
  /** The order's row as a callback may change it, for "nothing changed" assertions. */
  orderRow(orderId: string): Promise<Record<string, unknown>>;
}

export function gatewayKit(opts: GatewayKitOptions): GatewayKit {
  let seq = 0;
  const nextReference = () => `${opts.referencePrefix}-${Date.now()}-${++seq}`;
  return {
    nextReference,
    async createOrder(body = {}, merchant = opts.merchant()) {
      const res = await opts.app().request('POST', '/v1/orders', {
        token: merchant.apiKey,
        body: { provider: opts.provider, ...opts.orderDefaults, reference: nextReference(), ...body },
      });
      expect(res.status).toBe(201);
      return res.json;
    },
    async getOrder(id, merchant = opts.merchant()) {
      return (await opts.app().request('GET', `/v1/orders/${id}`, { token: merchant.apiKey })).json;
    },
    verify(id, merchant = opts.merchant()) {
      return opts.app().request('POST', `/v1/orders/${id}/verify`, { token: merchant.apiKey });
    },
    async sandboxPay(providerReference, amount) {
      const res = await opts
        .app()
        .request('POST', '/sandbox/control/pay', { body: { provider: opts.provider, provider_reference: providerReference, ...(amount ? { amount } : {}) } });
      expect(res.status).toBe(200);
      return res.json;
    },
    async eventsOf(orderId) {
      return (await opts.app().db.query(`SELECT type FROM events WHERE order_id = $1 ORDER BY sequence`, [orderId])).rows.map((r) => r.type as string);
    },
    async orderRow(orderId) {
      return (await opts.app().db.query(`SELECT status, flags, verification, paid_at, updated_at, event_seq FROM orders WHERE id = $1`, [orderId])).rows[0];
    },
  };
}
