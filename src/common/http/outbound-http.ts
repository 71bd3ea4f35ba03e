import { Injectable, Logger } from '@nestjs/common';
import { lookup as dnsLookup } from 'node:dns/promises';
import { channel } from 'node:diagnostics_channel';
import { Agent, Dispatcher, FormData, ProxyAgent, errors as undiciErrors, request } from 'undici';
import { AppConfig } from '../../config/config';
import { isIpLiteral, NOT_ALLOWED, SsrfGuard, SsrfRefusalError } from './ssrf-guard';

export interface OutboundRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** Instead of body: sent as multipart/form-data (undici sets the content-type and boundary). */
  form?: FormData;
  /** Whole-request deadline. */
  timeoutMs?: number;
  /** Bytes of response body kept; the rest is discarded. */
  maxBodyBytes?: number;
  /**
   * Send through this HTTP(S) proxy (CONNECT tunnel), e.g. a relay in the country a gateway
   * accepts calls from. The proxy's address and the target's are both checked by the SSRF guard.
   */
  proxyUrl?: string;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  durationMs: number;
}

export type OutboundFailureKind = 'timeout' | 'refused' | 'network';

/**
 * Every outbound call is announced here (`{ method, url }`) before it leaves, so a test or an operator's
 * tool can observe what the process calls without patching it (test/test-mode.e2e-spec.ts records it to
 * prove test mode never calls a real gateway host). Publishing costs nothing without a subscriber.
 */
export const OUTBOUND_CHANNEL = 'khqr:outbound-request';
const outboundChannel = channel(OUTBOUND_CHANNEL);

/** The call never produced an HTTP response (timeout, SSRF refusal, network failure). */
export class OutboundError extends Error {
  constructor(
    readonly kind: OutboundFailureKind,
    message: string,
  ) {
    super(message);
    this.name = 'OutboundError';
  }
}

/**
 * Every outbound HTTP call (provider APIs, merchant webhooks, SMM panels) goes through here:
 * a deadline, no redirects followed, a bounded body, and the SSRF guard on the resolved address.
 */
@Injectable()
export class OutboundHttp {
  readonly guard: SsrfGuard;
  /** Deadline for gateway API calls (PROVIDER_TIMEOUT_MS). */
  readonly providerTimeoutMs: number;
  private readonly agent: Agent;
  /** One ProxyAgent per proxy URL (a handful: BAKONG_PROXY_URL and the accounts' own). */
  private readonly proxies = new Map<string, ProxyAgent>();
  private readonly logger = new Logger('OutboundHttp');

  constructor(config: AppConfig) {
    this.providerTimeoutMs = config.providerTimeoutMs;
    this.guard = new SsrfGuard(config.outboundAllowlist, config.outboundLoopback);
    this.agent = new Agent({
      connect: { lookup: this.guard.lookup as never, timeout: 10_000 },
      connections: 256,
      keepAliveTimeout: 10_000,
    });
  }

  async send(req: OutboundRequest): Promise<OutboundResponse> {
    const started = performance.now();
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      throw new OutboundError('refused', `invalid URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new OutboundError('refused', `scheme ${url.protocol} is not allowed`);
    if (url.username || url.password) throw new OutboundError('refused', 'credentials in URLs are not allowed');
    // IP literals never go through DNS lookup, so check them here (the URL parser has already
    // normalised decimal, octal and hex spellings such as http://2130706433/ to dotted form).
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIpLiteral(host)) {
      const reason = this.guard.refusal(host, host);
      if (reason) throw this.refused(host, reason);
    }
    if (outboundChannel.hasSubscribers) outboundChannel.publish({ method: req.method, url: url.href });
    const timeoutMs = req.timeoutMs ?? 15_000;
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const dispatcher = req.proxyUrl ? await this.proxied(req.proxyUrl, host) : this.agent;
      const res = await request(url, {
        method: req.method,
        headers: req.headers,
        body: req.form ?? req.body,
        dispatcher,
        signal,
        maxRedirections: 0,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      } as Parameters<typeof request>[1]);
      const body = await readBounded(res.body, req.maxBodyBytes ?? 1024 * 1024);
      return { status: res.statusCode, headers: res.headers, body, durationMs: performance.now() - started };
    } catch (err) {
      const ssrf = [err, (err as { cause?: unknown })?.cause].find((e): e is SsrfRefusalError => (e as SsrfRefusalError | undefined)?.code === 'ESSRF');
      if (ssrf) throw this.refused(ssrf.host, ssrf.reason);
      throw toOutboundError(err, timeoutMs);
    }
  }

  /**
   * The dispatcher for a proxied call. The proxy resolves the target itself, so the target's name is
   * resolved and checked here first; the connection to the proxy goes through the guard's lookup.
   */
  private async proxied(proxyUrl: string, targetHost: string): Promise<Dispatcher> {
    let proxy: URL;
    try {
      proxy = new URL(proxyUrl);
    } catch {
      throw new OutboundError('refused', 'invalid proxy URL');
    }
    if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') throw new OutboundError('refused', `proxy scheme ${proxy.protocol} is not allowed`);
    const proxyHost = proxy.hostname.replace(/^\[|\]$/g, '');
    if (isIpLiteral(proxyHost)) {
      const reason = this.guard.refusal(proxyHost, proxyHost);
      if (reason) throw this.refused(proxyHost, reason);
    }
    if (!isIpLiteral(targetHost)) {
      const addresses = await dnsLookup(targetHost, { all: true }).catch(() => {
        throw new OutboundError('network', 'network error: ENOTFOUND');
      });
      for (const a of addresses) {
        const reason = this.guard.refusal(a.address, targetHost);
        if (reason) throw this.refused(targetHost, reason);
      }
    }
    let agent = this.proxies.get(proxyUrl);
    if (!agent) {
      agent = new ProxyAgent({ uri: proxyUrl, proxyTls: { lookup: this.guard.lookup as never, timeout: 10_000 } as never, connections: 32 });
      this.proxies.set(proxyUrl, agent);
    }
    return agent;
  }

  /** The operator's log gets the address and why; the error, which reaches merchants, says only "not allowed". */
  private refused(host: string, reason: string): OutboundError {
    this.logger.warn({ host, reason }, 'outbound call refused by the SSRF guard');
    return new OutboundError('refused', NOT_ALLOWED);
  }

  async close(): Promise<void> {
    await Promise.all([this.agent.close(), ...[...this.proxies.values()].map((p) => p.close())]);
  }
}

async function readBounded(stream: AsyncIterable<Buffer>, max: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    if (size < max) chunks.push(chunk.subarray(0, max - size));
    size += chunk.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}

function toOutboundError(err: unknown, timeoutMs: number): OutboundError {
  if (err instanceof OutboundError) return err;
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = e.code ?? e.cause?.code;
  if (code === 'ESSRF') return new OutboundError('refused', NOT_ALLOWED);
  if (
    e.name === 'TimeoutError' ||
    e.name === 'AbortError' ||
    err instanceof undiciErrors.HeadersTimeoutError ||
    err instanceof undiciErrors.BodyTimeoutError ||
    code === 'UND_ERR_CONNECT_TIMEOUT'
  ) {
    return new OutboundError('timeout', `no answer within ${timeoutMs} ms`);
  }
  return new OutboundError('network', `network error: ${code ?? e.message ?? 'unknown'}`);
}
