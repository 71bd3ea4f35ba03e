import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import * as ipaddr from 'ipaddr.js';

/**
 * Decides which addresses outbound calls may reach. Loopback, private, CGNAT, link-local
 * (including the 169.254.169.254 metadata address), ULA and other special ranges are refused
 * unless allow-listed by host name or CIDR. Checked on the resolved address at connect time,
 * so a DNS answer cannot swap a public name for a private address after the check.
 */
export class SsrfGuard {
  private readonly hosts = new Set<string>();
  private readonly cidrs: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];

  constructor(allowlist: string[], private readonly allowLoopback: boolean) {
    for (const raw of allowlist.map((s) => s.trim().toLowerCase()).filter(Boolean)) {
      if (raw.includes('/')) this.cidrs.push(ipaddr.parseCIDR(raw));
      else if (ipaddr.isValid(raw)) this.cidrs.push([ipaddr.parse(raw), ipaddr.parse(raw).kind() === 'ipv4' ? 32 : 128]);
      else this.hosts.add(raw);
    }
  }

  static validateAllowlistEntry(entry: string): boolean {
    const e = entry.trim();
    if (!e) return true;
    if (e.includes('/')) {
      try {
        ipaddr.parseCIDR(e);
        return true;
      } catch {
        return false;
      }
    }
    return ipaddr.isValid(e) || /^[a-z0-9.-]+$/i.test(e);
  }

  hostAllowed(host: string): boolean {
    return this.hosts.has(host.toLowerCase().replace(/^\[|\]$/g, ''));
  }

  /** null when the address may be reached, else the reason it may not. */
  refusal(address: string, host?: string): string | null {
    if (host && this.hostAllowed(host)) return null;
    let parsed: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      parsed = ipaddr.process(address.replace(/^\[|\]$/g, ''));
    } catch {
      return `unparseable address ${address}`;
    }
    for (const [net, bits] of this.cidrs) {
      if (net.kind() === parsed.kind() && parsed.match([net, bits] as never)) return null;
    }
    const range = parsed.range();
    if (range === 'unicast') return null;
    if (range === 'loopback' && this.allowLoopback) return null;
    return `address ${parsed.toString()} is in the ${range} range`;
  }

  /** A dns.lookup replacement for the HTTP agent: resolves, then refuses forbidden answers. */
  readonly lookup = (
    hostname: string,
    options: { all?: boolean; family?: number } | number,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const opts = typeof options === 'number' ? { family: options } : options ?? {};
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      for (const a of list) {
        const reason = this.refusal(a.address, hostname);
        if (reason) {
          const e: NodeJS.ErrnoException = new Error(`outbound call to ${hostname} refused: ${reason}`);
          e.code = 'ESSRF';
          return callback(e, '', 0);
        }
      }
      if (opts.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}
