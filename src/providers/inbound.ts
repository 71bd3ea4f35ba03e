import type { FastifyReply } from 'fastify';
import type { Currency } from '../common/money';
import type { ProblemCode, StatusOf } from '../common/problem-exception';
import { GATEWAY_ERRORS } from './gateway.errors';
import type { ProviderCredentials, ProviderId } from './provider';

/**
 * The inbound port: how a gateway's returns, webhooks and pushbacks reach an order.
 *
 * A gateway folder describes each of its inbound calls as an InboundCallback: pure functions
 * that check the request's shape, say how to find the transaction, and interpret the call into
 * a verdict. It never reads or writes the database. One service in orders/ (InboundCallbacksService)
 * finds the transaction, loads the account, asks the interpreter and applies the verdict.
 *
 * Gateway controllers inject the abstract InboundCallbacks below, which orders/ implements:
 * the dependency points from orders/ to providers/ only, so there is no folder cycle.
 */

/** The parts of a gateway's HTTP call that its interpreter reads. */
export interface InboundRequest {
  /** Path parameters by name. */
  params: Record<string, string>;
  query: Record<string, unknown>;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** The body's bytes exactly as received (signatures are computed over them). */
  rawBody?: Buffer;
}

/** How the orders side finds the transaction a call is about, before the gateway interprets the call. */
export type InboundLookup =
  /**
   * By the gateway's reference in the URL; the account of the transaction's merchant verifies the call. An unknown
   * reference is interpreted all the same, with no account and no transaction, so that it is refused like a forgery.
   */
  | { by: 'reference'; reference: string }
  /** By the merchant in the URL, whose account verifies the call; the verdict then names the transaction, within that merchant. */
  | { by: 'merchant'; merchantId: string }
  /** By the sha256 of the random token in the return link, or in the cancel link, we gave the gateway: the token is the proof. */
  | { by: 'return_token'; token: string }
  | { by: 'cancel_token'; token: string };

/** The facts of the transaction an interpreter may need. */
export interface InboundTransaction {
  providerReference: string;
  amountMinor: number;
  currency: Currency;
}

export interface InboundInput<Id extends ProviderId = ProviderId> {
  request: InboundRequest;
  /** The gateway account that verifies the call; null for an unknown reference and for token links. */
  account: ProviderCredentials<Id> | null;
  /** Null for an unknown reference, and for merchant lookups (where the verdict names the transaction). */
  transaction: InboundTransaction | null;
  now: Date;
}

/** How an inbound payment was verified: becomes the order's `verification`. */
export type InboundVerification = 'signed_return' | 'signed_webhook' | 'browser_return';

/** The call cannot be acted on: answered as a problem with this status and code, and nothing changes. */
export interface InboundRefusal {
  kind: 'refuse';
  status: RefusalStatus;
  /** A code of GATEWAY_ERRORS (build refusals with refuse()). */
  code: string;
  detail: string;
}

export type InboundVerdict =
  | {
      kind: 'pay';
      /** The id the gateway knows the payment by (transaction.provider_reference). */
      providerReference: string;
      verification: InboundVerification;
      paidAmountMinor: number;
      paidAt: Date;
      /** The gateway's evidence, stored on the transaction (e.g. the Bakong hash, the hosted checkout's transaction_id). */
      proof?: string;
      /** Why, for the order's history. */
      reason: string;
    }
  | { kind: 'cancel'; reason: string }
  /**
   * Evidence of nothing by itself (an unsigned pushback): ask the gateway's verify API about the transaction now and
   * apply only its answer (a repeated call for a paid transaction asks nothing). The gateway must have verify().
   */
  | { kind: 'confirm_with_gateway'; reason: string }
  /** Evidence of nothing: the customer's browser is only led back to the order. */
  | { kind: 'lead_to_order' }
  | InboundRefusal;

/** One inbound call of one gateway, as pure functions. */
export interface InboundCallback<Id extends ProviderId = ProviderId> {
  readonly provider: Id;
  /** Checks the request's shape (a malformed id is refused before any lookup) and says how to find the transaction. */
  locate(request: InboundRequest): InboundLookup | InboundRefusal;
  interpret(input: InboundInput<Id>): InboundVerdict;
  /**
   * The return token pays, so it is spent once, by the success return or by a cancel, in the same database
   * transaction as the change it brings. Without this, a return token only leads to the order.
   */
  readonly singleUseReturnToken?: boolean;
}

/** What the orders side did with a call, for the controller's answer. */
export interface InboundOutcome {
  /** Where the browser goes next: the merchant's success or cancel URL once the order got there, else its status page. */
  location: string;
  /** 'unchanged': a repeated call, or one the order's status made moot (or, confirmed with the gateway, not paid there). */
  result: 'paid' | 'flagged' | 'cancelled' | 'unchanged';
}

/** Applies inbound calls to orders. Implemented by orders/ (InboundCallbacksService), injected into gateway controllers. */
export abstract class InboundCallbacks {
  abstract handle(callback: InboundCallback, request: InboundRequest): Promise<InboundOutcome>;
}

type RefusalStatus = 400 | 403 | 404 | 409 | 413 | 422;
type RefusalCode<S extends RefusalStatus | readonly RefusalStatus[]> = ProblemCode<keyof typeof GATEWAY_ERRORS, S>;

/** A refusal with a code of the gateway catalogue, at its status. */
export const refuse = (entry: RefusalCode<RefusalStatus>, detail: string): InboundRefusal => ({
  kind: 'refuse',
  status: entry.status,
  code: entry.code,
  detail,
});

/** A refusal with a code whose catalogue lists several statuses (invalid_signature: 400 on a return, 403 on a webhook). */
export function refuseAt<S extends readonly RefusalStatus[]>(entry: RefusalCode<S>, status: StatusOf<S>, detail: string): InboundRefusal {
  if (!entry.status.includes(status)) throw new Error(`refusal ${entry.code} is not documented with status ${status}`);
  return { kind: 'refuse', status, code: entry.code, detail };
}

/** The uniform 404, worded as notFound() words it. */
export const notFoundRefusal = (what: string): InboundRefusal => refuse(GATEWAY_ERRORS.not_found, `${what} was not found`);

export function isRefusal(value: InboundLookup | InboundVerdict): value is InboundRefusal {
  return 'kind' in value && value.kind === 'refuse';
}

/** A browser redirect that is never cached; `noReferrer` keeps a capability URL (a link token) out of the next site's Referer. */
export function sendRedirect(reply: FastifyReply, location: string, opts: { noReferrer: boolean }): void {
  void reply.status(302).header('location', location).header('cache-control', 'no-store');
  if (opts.noReferrer) void reply.header('referrer-policy', 'no-referrer');
  void reply.send();
}
