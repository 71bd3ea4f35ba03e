import { GATEWAY_ERRORS } from '../gateway.errors';
import { InboundCallback, InboundRequest, notFoundRefusal, refuse } from '../inbound';
import { TRAN_ID } from './payway.transformers';

/** A pushback is a few short fields; anything larger is not one. */
export const PUSHBACK_MAX_BYTES = 4096;

/** The pushback's fields we read: {tran_id, apv, status, merchant_ref_no?} (ABA QR API guide, "Handle Callback URL"). */
export function readPushback(rawBody: Buffer | undefined): { tranId: string } | { error: string } {
  if (!rawBody || rawBody.length === 0) return { error: 'send the pushback as application/json' };
  if (rawBody.length > PUSHBACK_MAX_BYTES) return { error: `a PayWay pushback is at most ${PUSHBACK_MAX_BYTES} bytes` };
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return { error: 'the pushback is not JSON' };
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return { error: 'the pushback is not a JSON object' };
  const fields = body as Record<string, unknown>;
  const tranId = typeof fields.tran_id === 'number' ? String(fields.tran_id) : fields.tran_id;
  if (typeof tranId !== 'string' || !TRAN_ID.test(tranId)) return { error: 'tran_id is missing or not a PayWay tran_id' };
  if (fields.status === undefined || fields.status === null) return { error: 'status is missing' };
  return { tranId };
}

const parse = (request: InboundRequest) => readPushback(request.rawBody);

/**
 * PayWay's pushback: POST /callbacks/payway/pushback. It is unsigned, so it is never evidence: a well-formed pushback for
 * one of our transactions makes us ask Check Transaction now, and only that answer moves the order. A forged pushback
 * for an unpaid order therefore changes nothing, and a replayed one for a paid order asks nothing.
 */
export const paywayPushback: InboundCallback<'payway'> = {
  provider: 'payway',
  locate: (request) => {
    const read = parse(request);
    if ('error' in read)
      return refuse(
        request.rawBody && request.rawBody.length > PUSHBACK_MAX_BYTES ? GATEWAY_ERRORS.body_too_large : GATEWAY_ERRORS.malformed_payload,
        read.error,
      );
    return { by: 'reference', reference: read.tranId };
  },
  interpret: ({ transaction }) => {
    // An unknown tran_id: the same 404 whatever it is, so transactions cannot be walked.
    if (!transaction) return notFoundRefusal('transaction');
    return { kind: 'confirm_with_gateway', reason: 'PayWay pushback, confirmed by Check Transaction' };
  },
};
