import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';

/**
 * Where a webhook may not point (SSRF): loopback, private, carrier-grade NAT, link-local (the
 * cloud metadata address 169.254.169.254 among them), unique-local, multicast, reserved and
 * unspecified addresses, IPv4 and IPv6. BlockList matches IPv4-mapped IPv6 addresses
 * (`::ffff:127.0.0.1`) against the IPv4 rules.
 */
const REFUSED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  REFUSED.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fe80::', 10],
  ['fc00::', 7],
  ['ff00::', 8],
  // NAT64 and 6to4 embed an IPv4 address the gateway would reach.
  ['64:ff9b::', 96],
  ['2002::', 16],
] as const)
  REFUSED.addSubnet(network, prefix, 'ipv6');

/** Whether an IP address (v4 or v6) is one a webhook may not reach. */
export function isRefusedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 6) {
    // ::ffff:a.b.c.d and ::a.b.c.d (deprecated IPv4-compatible) carry an IPv4 address.
    const mapped = /^::(?:ffff:)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return REFUSED.check(mapped[1]!, 'ipv4');
  }
  return REFUSED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** How long a host name may take to resolve before the URL is refused as not resolving. */
const LOOKUP_TIMEOUT_MS = 5_000;

export class RefusedUrlError extends Error {
  override name = 'RefusedUrlError';
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/**
 * The addresses a URL's host resolves to, checked: throws RefusedUrlError when it resolves to
 * none or to any refused one (unless `allowPrivate`). Deliveries connect to what this returned,
 * so a DNS answer that changes between the check and the connection changes nothing.
 */
export async function resolveAllowed(url: URL, allowPrivate: boolean): Promise<ResolvedAddress[]> {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new RefusedUrlError('Only https:// and http:// URLs are allowed');
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: ResolvedAddress[];
  if (isIP(host)) {
    addresses = [{ address: host, family: isIP(host) as 4 | 6 }];
  } else {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), LOOKUP_TIMEOUT_MS);
    });
    try {
      // A creation waits for this in its transaction: a resolver that never answers must not hold it.
      const found = await Promise.race([lookup(host, { all: true, verbatim: true }), late]);
      addresses = found.map((entry) => ({ address: entry.address, family: entry.family as 4 | 6 }));
    } catch {
      throw new RefusedUrlError(`The host ${host} does not resolve`);
    } finally {
      clearTimeout(timer);
    }
  }
  if (addresses.length === 0) throw new RefusedUrlError(`The host ${host} does not resolve`);
  if (!allowPrivate) {
    const refused = addresses.find((entry) => isRefusedAddress(entry.address));
    if (refused)
      throw new RefusedUrlError(
        `The host ${host} resolves to ${refused.address}: loopback, private, link-local, unique-local and unspecified addresses are refused`,
      );
  }
  return addresses;
}
