import { OutboundError, OutboundHttp, OutboundRequest, OutboundResponse } from '../common/http/outbound-http';
import { problem, ProblemException } from '../common/problem';
import { PROVIDER_ERROR_PROBLEMS } from './gateway.errors';
import { MAX_RETRY_AFTER_SECONDS, ProviderError, ProviderErrorKind, ProviderId } from './provider';

/** One gateway call as callProvider saw it: how long it took and how it ended. */
export interface ProviderCallObservation {
  provider: ProviderId;
  durationMs: number;
  /** 'ok' when the gateway answered below 500 (transformers judge the body), else the ProviderError kind. */
  outcome: 'ok' | ProviderErrorKind;
  /** HTTP status, when the gateway answered. */
  status?: number;
}

export type ProviderCallObserver = (observation: ProviderCallObservation) => void;

/**
 * Observers per OutboundHttp (that is, per application instance), so metrics can time every
 * provider call without each provider knowing about metrics.
 */
const observers = new WeakMap<OutboundHttp, ProviderCallObserver>();

/** Install (or with null remove) the observer of this application's provider calls. */
export function observeProviderCalls(http: OutboundHttp, observer: ProviderCallObserver | null): void {
  if (observer) observers.set(http, observer);
  else observers.delete(http);
}

function notify(http: OutboundHttp, observation: ProviderCallObservation): void {
  try {
    observers.get(http)?.(observation);
  } catch {
    // An observer's failure must never fail the payment call it observed.
  }
}

/** ProviderError -> the problem the API answers with (502, or 504 on timeout). The order is left unchanged. */
export function providerProblem(error: ProviderError): ProblemException {
  return problem(PROVIDER_ERROR_PROBLEMS[error.kind], `${error.provider}: ${error.message}`, { provider: error.provider });
}

/**
 * Sends a provider call through OutboundHttp and turns transport failures, 429 and 5xx into
 * ProviderErrors. Other statuses are returned for the provider's transformers to judge.
 */
export async function callProvider(http: OutboundHttp, provider: ProviderId, req: OutboundRequest): Promise<OutboundResponse> {
  const started = performance.now();
  const done = (outcome: ProviderCallObservation['outcome'], status?: number) =>
    notify(http, { provider, durationMs: performance.now() - started, outcome, status });
  let res: OutboundResponse;
  try {
    res = await http.send({ timeoutMs: http.providerTimeoutMs, ...req });
  } catch (err) {
    if (err instanceof OutboundError) {
      const kind = err.kind === 'timeout' ? 'timeout' : 'unavailable';
      done(kind);
      throw new ProviderError(
        provider,
        kind,
        err.kind === 'timeout' ? `the gateway did not answer in time (${err.message})` : `the gateway could not be reached (${err.message})`,
      );
    }
    done('unavailable');
    throw err;
  }
  if (res.status === 429) {
    done('rate_limited', res.status);
    throw new ProviderError(provider, 'rate_limited', 'the gateway is rate limiting us (HTTP 429)', retryAfterSeconds(res.headers['retry-after']));
  }
  if (res.status >= 500) {
    done('unavailable', res.status);
    throw new ProviderError(provider, 'unavailable', `the gateway answered HTTP ${res.status}`);
  }
  done('ok', res.status);
  return res;
}

/**
 * Retry-After (delay-seconds or an HTTP-date) in seconds, capped at MAX_RETRY_AFTER_SECONDS;
 * undefined when absent or unreadable. The gateway's word is a hint, not an order to stop for days.
 */
export function retryAfterSeconds(value: string | string[] | undefined, nowMs = Date.now()): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return undefined;
  let seconds: number;
  if (/^\d+$/.test(raw)) seconds = Number(raw);
  else {
    // An HTTP-date starts with the day's name; Date.parse would also take "-5" or "1.5" for a year.
    const at = /^[A-Za-z]{3}/.test(raw) ? Date.parse(raw) : NaN;
    if (Number.isNaN(at)) return undefined;
    seconds = Math.max(0, Math.ceil((at - nowMs) / 1000));
  }
  return Math.min(seconds, MAX_RETRY_AFTER_SECONDS);
}

/** Parses a JSON object body or throws a bad_response ProviderError naming what came back. */
export function parseJsonObject(provider: ProviderId, res: OutboundResponse): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.body);
  } catch {
    const looksHtml = /^\s*</.test(res.body);
    throw new ProviderError(provider, 'bad_response', `the gateway answered HTTP ${res.status} with ${looksHtml ? 'HTML' : 'a body that is not JSON'}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ProviderError(provider, 'bad_response', `the gateway answered HTTP ${res.status} with JSON that is not an object`);
  }
  return parsed as Record<string, unknown>;
}
