// Every wire quirk of the gateway lives here, as pure functions with golden vectors in
// example.transformers.spec.ts (vectors computed from the gateway's own sample code where it has one).
import { createHmac } from 'node:crypto';
import { Currency, formatAmount, MoneyError, parseAmount } from '../../common/money';
import { ProviderError, VerifyOutcome } from '../provider';

/** The amount exactly as the gateway wants it on the wire. */
export const wireAmount = (amountMinor: number, currency: Currency): string => formatAmount(amountMinor, currency);

/** The gateway's signature: HMAC-SHA256 of the fields in the document's order. */
export const sign = (apiKey: string, ...fields: string[]): string => createHmac('sha256', apiKey).update(fields.join('|')).digest('hex');

export function checkoutLink(account: { base_url: string; merchant_id: string; api_key: string }, reference: string, amount: string): string {
  const query = new URLSearchParams({
    merchant_id: account.merchant_id,
    reference,
    amount,
    hash: sign(account.api_key, account.merchant_id, reference, amount),
  });
  return `${account.base_url}/checkout?${query}`;
}

/** Exhaustive: a status the document does not list is an error, never "pending". */
const STATUS: Record<string, 'PAID' | 'PENDING' | 'EXPIRED'> = { APPROVED: 'PAID', PENDING: 'PENDING', EXPIRED: 'EXPIRED' };

export function parseStatusResponse(body: Record<string, unknown>, currency: Currency): VerifyOutcome {
  const mapped = typeof body.status === 'string' ? STATUS[body.status] : undefined;
  if (!mapped) throw new ProviderError('example', 'bad_response', `status answered an unknown status ${JSON.stringify(body.status)?.slice(0, 40)}`);
  if (mapped !== 'PAID') return { status: mapped };
  try {
    const paidAmountMinor = parseAmount(typeof body.amount === 'string' ? body.amount : undefined, currency, { noMax: true });
    return { status: 'PAID', paidAmountMinor, paidCurrency: currency, paidAt: new Date(String(body.paid_at)) };
  } catch (err) {
    throw new ProviderError('example', 'bad_response', `status answered APPROVED with an unusable amount (${(err as MoneyError).message})`);
  }
}
