import { Injectable } from '@nestjs/common';
import type { Currency } from '../common/money';
import type { GatewayAccount } from './gateways';

/**
 * The provider port: what the orchestrator needs from a gateway. One implementation per
 * folder (providers/<id>/), with every wire quirk in its transformers file.
 *
 * The gateway ids, in the order the API documents them. gateways.ts maps each to its module and
 * provider class (the compiler refuses an id without one); everything else derives from these two.
 */
export const PROVIDER_IDS = ['raksmeypay', 'ahnajak', 'bakongapi', 'checkout', 'bakong', 'payway'] as const;
export type ProviderId = (typeof PROVIDER_IDS)[number];

export function isProviderId(value: unknown): value is ProviderId {
  return typeof value === 'string' && (PROVIDER_IDS as readonly string[]).includes(value);
}

export interface ProviderCapabilities {
  /** Can ask the gateway for one payment's status. */
  verify: boolean;
  /** Can ask for many at once (Bakong Open API: ≤ 50 md5 per call). */
  batchVerify: boolean;
  /** Ways the gateway tells us of a payment besides its verify API. */
  callbacks: ('signed_return' | 'signed_webhook' | 'browser_return')[];
  /** Yields a KHQR payload we render on our own /pay page. */
  khqr: boolean;
  /** Currencies the gateway accepts. */
  currencies: Currency[];
  /** Can return money through an API (refund + checkRefund). Without it a refund is manual only. */
  refund: boolean;
}

/** A field of the provider account: its name, whether it is secret (write-only, masked), whether required. */
export interface CredentialField {
  name: string;
  secret: boolean;
  required: boolean;
  kind: 'string' | 'url' | 'object';
  description: string;
  example?: string;
  /** Extra check beyond kind; returns an error message or null. */
  check?: (value: unknown) => string | null;
}

/**
 * A gateway's credential fields, one per key of its account type: `required` exactly when the key
 * is (base_url excepted: it is always filled in, from the gateway's default host when it has one),
 * `kind` 'object' exactly for object values. So the account type and the fields cannot drift apart.
 */
export type CredentialFieldSpecs<Account> = {
  [Name in keyof Account & string]-?: Omit<CredentialField, 'name' | 'required' | 'kind'> & {
    required: Name extends 'base_url' ? boolean : undefined extends Account[Name] ? false : true;
    kind: NonNullable<Account[Name]> extends string ? 'string' | 'url' : 'object';
  };
};

/** A gateway's credentialFields, declared against its account type (field order = key order). */
export function credentialFields<Account>(specs: CredentialFieldSpecs<Account>): CredentialField[] {
  return Object.entries<Omit<CredentialField, 'name'>>(specs).map(([name, spec]) => ({ name, ...spec }));
}

/** A merchant's account as stored: the PUT body, checked against the gateway's credentialFields. */
export type StoredCredentials = Record<string, unknown>;

/** A merchant's account as a gateway reads it: that gateway's own account type (any gateway's by default), base_url resolved. */
export type ProviderCredentials<Id extends ProviderId = ProviderId> = GatewayAccount<Id>;

export interface PaymentOrder {
  id: string;
  merchantId: string;
  reference: string;
  amountMinor: number;
  currency: Currency;
  description: string | null;
  customer: { name?: string; email?: string } | null;
  successUrl: string | null;
  cancelUrl: string | null;
  expiresAt: Date;
}

export interface CreatePaymentInput<Account = ProviderCredentials> {
  order: PaymentOrder;
  /** Our transaction: its id and the numeric id for gateways that want a number. */
  transaction: { id: string; number: number };
  account: Account;
  /** The orchestrator's public base URL, for callback/return URLs. */
  publicBaseUrl: string;
}

export interface CreatePaymentResult {
  /** The id the gateway knows this payment by (stored as transaction.provider_reference). */
  providerReference: string;
  /** The amount string exactly as sent on the wire. */
  wireAmount: string;
  /** The gateway's own page; null means our /pay/{orderId} page. */
  checkoutUrl: string | null;
  qr?: { payload: string; md5: string };
  /** A bank-app deeplink that opens this payment (e.g. Bakong's generate_deeplink_by_qr), shown on /pay when present. */
  deeplink?: string;
  /** When the gateway imposes its own expiry (e.g. 15 minutes for bakongapi). */
  expiresAt?: Date;
  /** sha256 of the token in our return URL, when it carries one (unguessable: the URL is a capability). */
  returnTokenHash?: string;
  /** sha256 of the token in our cancel URL, when the gateway takes one; independent of the return token. */
  cancelTokenHash?: string;
}

export type VerifyOutcome =
  | { status: 'PAID'; paidAmountMinor: number; paidCurrency: Currency; paidAt: Date; proof?: string }
  | { status: 'PENDING' }
  | { status: 'EXPIRED' }
  | { status: 'FAILED'; reason: string };

export interface VerifyInput<Account = ProviderCredentials> {
  transaction: {
    id: string;
    number: number;
    providerReference: string;
    amountMinor: number;
    currency: Currency;
    wireAmount: string;
    createdAt: Date;
    expiresAt: Date;
  };
  account: Account;
}

/** A refund asked of a gateway with a refund API. Amounts in minor units of the paid currency. */
export interface RefundInput<Account = ProviderCredentials> {
  /** Our refund id (re_…): the merchant-side reference where the gateway takes one (retries reuse it). */
  refundId: string;
  amountMinor: number;
  currency: Currency;
  reason: string | null;
  /** The paid transaction being refunded. */
  transaction: VerifyInput<Account>['transaction'];
  account: Account;
}

/** What the gateway said of a refund. PENDING: accepted but not final; the sweeper asks again with checkRefund. */
export type RefundOutcome =
  | { status: 'SUCCEEDED'; providerRefundId?: string }
  | { status: 'PENDING'; providerRefundId?: string }
  | { status: 'FAILED'; reason: string; providerRefundId?: string };

export type ProviderErrorKind = 'timeout' | 'unavailable' | 'rate_limited' | 'bad_response' | 'rejected' | 'auth';

/**
 * The longest wait a gateway's Retry-After can impose (seconds). A gateway (or a merchant's own
 * base_url) may slow us down, never park checks or pause a host's calls for longer than this.
 */
export const MAX_RETRY_AFTER_SECONDS = 60;

/** A gateway call that did not give a usable answer. Maps to 502/504 problems. */
export class ProviderError extends Error {
  constructor(
    readonly provider: ProviderId,
    readonly kind: ProviderErrorKind,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** One gateway; `Account` is its own credentials type (see credentialFields()). */
export interface PaymentProvider<Account = ProviderCredentials> {
  readonly id: ProviderId;
  readonly displayName: string;
  readonly capabilities: ProviderCapabilities;
  readonly credentialFields: CredentialField[];
  /** Default base URL: the gateway's documented production host, or '' when none is documented (base_url is then required). */
  readonly defaultBaseUrl: string;
  /** Creates the payment at the gateway (or locally, for KHQR we generate ourselves). */
  createPayment(input: CreatePaymentInput<Account>): Promise<CreatePaymentResult>;
  /** Present when capabilities.verify. */
  verify?(input: VerifyInput<Account>): Promise<VerifyOutcome>;
  /** Present when capabilities.batchVerify: outcomes by providerReference (an Error for one that failed alone). */
  verifyBatch?(inputs: VerifyInput<Account>[], account: Account): Promise<Map<string, VerifyOutcome | ProviderError>>;
  /** Largest batch verifyBatch accepts. */
  readonly batchSize?: number;
  /**
   * Present when capabilities.refund. Throws ProviderError when the gateway gave no usable answer:
   * the refund then stays PENDING and the sweeper asks checkRefund (never refund twice).
   */
  refund?(input: RefundInput<Account>): Promise<RefundOutcome>;
  /**
   * Present when capabilities.refund: the current state of a refund asked before (providerRefundId when the gateway gave one).
   * A refund the gateway has no record of answers FAILED (the refund() call never reached it, e.g. a crash right after our
   * commit): the amount is then refundable again. Throws ProviderError when the gateway gave no usable answer.
   */
  checkRefund?(input: RefundInput<Account> & { providerRefundId: string | null }): Promise<RefundOutcome>;
  /**
   * Asks the gateway about an account being saved (e.g. Bakong's check_bakong_account): `refusal`
   * when the gateway says the account cannot work (the PUT answers 422 and stores nothing),
   * `warnings` when it could not tell (the account is stored; the PUT answer carries them).
   */
  checkAccount?(account: Account): Promise<AccountCheck>;
  /** When the account's credential stops working (e.g. a Bakong token's JWT exp), read from the stored account; null when unknown. */
  credentialExpiry?(account: StoredCredentials): Date | null;
}

/** What a gateway said of an account when it was saved. */
export interface AccountCheck {
  refusal: string | null;
  warnings: string[];
}

/** Resolves providers by id. Each provider module registers itself on init. */
@Injectable()
export class ProviderRegistry {
  private readonly providers = new Map<ProviderId, PaymentProvider>();

  register(provider: PaymentProvider): void {
    this.providers.set(provider.id, provider);
  }

  get(id: string): PaymentProvider | undefined {
    return isProviderId(id) ? this.providers.get(id) : undefined;
  }

  require(id: ProviderId): PaymentProvider {
    const p = this.providers.get(id);
    if (!p) throw new Error(`provider ${id} is not registered`);
    return p;
  }

  all(): PaymentProvider[] {
    return [...this.providers.values()];
  }
}
