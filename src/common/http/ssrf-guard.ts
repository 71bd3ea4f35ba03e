import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import * as ipaddr from 'ipaddr.js';
import { isAllowlistEntry } from '../../config/config';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** IPv6 ranges ipaddr.js calls "unicast" that still reach somewhere private: IPv4-compatible (::a.b.c.d) and local-use NAT64. */
const EXTRA_V6: [Address, number][] = [
  [ipaddr.parse('::'), 96],
  [ipaddr.parse('64:ff9b:1::'), 48],
];
const LINK_LOCAL: Record<'ipv4' | 'ipv6', [Address, number]> = {
  ipv4: ipaddr.parseCIDR('169.254.0.0/16'),
  ipv6: ipaddr.parseCIDR('fe80::/10'),
};

/**
 * How a refused destination is described wherever a merchant can read it (problem details, delivery
 * and credit errors): never the resolved address or its range, which would map the internal network.
 * The operator's log carries the reason (OutboundHttp).
 */
export const NOT_ALLOWED = 'destination not allowed';

/** The lookup's refusal: the message is NOT_ALLOWED; host and reason are for the operator's log only. */
export interface SsrfRefusalError extends NodeJS.ErrnoException {
  code: 'ESSRF';
  host: string;
  reason: string;
}

/** An IP address written literally (URL hostnames keep IPv6 in brackets). */
export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(host.replace(/^\[|\]$/g, ''));
}

/**
 * Decides which addresses outbound calls may reach. Loopback, private, CGNAT, link-local
 * (including the 169.254.169.254 metadata address), ULA and other special ranges are refused
 * unless allow-listed by host name or CIDR. Checked on the resolved address at connect time,
 * so a DNS answer cannot swap a public name for a private address after the check.
 *
 * Link-local (169.254.0.0/16, fe80::/10: cloud metadata lives there) is stricter: neither the
 * sandbox's loopback allowance, a host-name entry nor a broad CIDR (0.0.0.0/0) opens it; only an
 * allow-list entry that is itself inside the link-local range does.
 */
export class SsrfGuard {
  private readonly hosts = new Set<string>();
  private readonly cidrs: [Address, number][] = [];

  constructor(
    allowlist: string[],
    private readonly allowLoopback: boolean,
  ) {
    for (const raw of allowlist.map((s) => s.trim().toLowerCase()).filter(Boolean)) {
      const entry = raw.replace(/^\[|\]$/g, '');
      if (entry.includes('/')) this.cidrs.push(normaliseCidr(ipaddr.parseCIDR(entry)));
      else if (ipaddr.isValid(entry)) {
        const ip = ipaddr.process(entry);
        this.cidrs.push([ip, ip.kind() === 'ipv4' ? 32 : 128]);
      } else this.hosts.add(entry.replace(/\.$/, ''));
    }
  }

  /** Whether an allow-list entry parses; the env check in config/ is the one copy. */
  static readonly validateAllowlistEntry = isAllowlistEntry;

  hostAllowed(host: string): boolean {
    return this.hosts.has(
      host
        .toLowerCase()
        .replace(/^\[|\]$/g, '')
        .replace(/\.$/, ''),
    );
  }

  /** null when the address may be reached, else the reason it may not. */
  refusal(address: string, host?: string): string | null {
    let parsed: Address;
    try {
      // process() turns IPv4-mapped IPv6 (::ffff:127.0.0.1) into the IPv4 address it carries.
      parsed = ipaddr.process(address.replace(/^\[|\]$/g, ''));
    } catch {
      return `unparseable address ${address}`;
    }
    const range = classify(parsed);
    if (range === 'unicast') return null;
    const listed = this.cidrs.some(([net, bits]) => net.kind() === parsed.kind() && parsed.match([net, bits] as never));
    if (range === 'linkLocal') {
      const [llNet, llBits] = LINK_LOCAL[parsed.kind()];
      const explicit = this.cidrs.some(
        ([net, bits]) => net.kind() === parsed.kind() && bits >= llBits && net.match([llNet, llBits] as never) && parsed.match([net, bits] as never),
      );
      return explicit ? null : `address ${parsed.toString()} is link-local (cloud metadata range): allowed only when listed in OUTBOUND_ALLOWLIST by address`;
    }
    if (listed || (host && this.hostAllowed(host))) return null;
    if (range === 'loopback' && this.allowLoopback) return null;
    return `address ${parsed.toString()} is in the ${range} range`;
  }

  /** A dns.lookup replacement for the HTTP agent: resolves, then refuses forbidden answers. */
  readonly lookup = (
    hostname: string,
    options: { all?: boolean; family?: number } | number,
    callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    const opts = typeof options === 'number' ? { family: options } : (options ?? {});
    dnsLookup(hostname, { ...opts, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      for (const a of list) {
        const reason = this.refusal(a.address, hostname);
        if (reason) {
          const e = Object.assign(new Error(NOT_ALLOWED), { code: 'ESSRF', host: hostname, reason }) as SsrfRefusalError;
          return callback(e, '', 0);
        }
      }
      if (opts.all) return callback(null, list);
      callback(null, list[0].address, list[0].family);
    });
  };
}

function classify(ip: Address): string {
  const range = ip.range();
  if (range !== 'unicast' || ip.kind() === 'ipv4') return range;
  for (const [net, bits] of EXTRA_V6) if (ip.match([net, bits] as never)) return net.toString() === '::' ? 'ipv4Compatible' : 'nat64Local';
  return range;
}

/** "10.1.2.3/8" → 10.0.0.0/8; an IPv4-mapped IPv6 CIDR becomes its IPv4 form so it matches processed addresses. */
function normaliseCidr([net, bits]: [Address, number]): [Address, number] {
  if (net.kind() === 'ipv6' && (net as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) return [(net as ipaddr.IPv6).toIPv4Address(), bits - 96];
  return [net, bits];
}
