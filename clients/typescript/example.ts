/** Compiled by test/openapi-artefact.e2e-spec.ts (tsc) so the client and its README example keep compiling against schema.d.ts. */
import { createClient, type Problem, type Schema } from './index';

export async function example(): Promise<void> {
  const khqr = createClient({ baseUrl: 'http://localhost:3000', apiKey: 'sk_…' });

  const created = await khqr.POST('/v1/orders', {
    params: { header: { 'Idempotency-Key': 'order-1001' } },
    body: { provider: 'bakong', amount: '12.50', currency: 'USD', reference: 'INV-1001' },
  });
  if (created.error) throw new Error((created.error as Problem).detail ?? 'order not created');
  const order: Schema<'OrderResponse'> = created.data;
  console.log(order.id, order.status, order.checkout_url);

  const { data: pending } = await khqr.GET('/v1/orders', { params: { query: { status: 'PENDING', limit: 50 } } });
  console.log(pending);

  const { data: verified } = await khqr.POST('/v1/orders/{id}/verify', { params: { path: { id: order.id } } });
  console.log(verified?.status);
}
