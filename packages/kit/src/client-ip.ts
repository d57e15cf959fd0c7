import { BlockList, isIPv4, isIPv6 } from "node:net";

/** Trusted-proxy aware client IP: X-Forwarded-For is believed only when the peer is a trusted proxy. */
export function createClientIpResolver(trustedProxies: string[]) {
  // node's BlockList does the address arithmetic for both families (our own only knew IPv4 ranges).
  const trusted = new BlockList();
  for (const entry of trustedProxies) trust(trusted, entry);
  const isTrusted = (ip: string) => {
    const family = familyOf(ip);
    return family !== undefined && trusted.check(ip, family);
  };

  return (peer: string | undefined, forwardedFor: string | undefined): string => {
    const direct = normalize(peer ?? "unknown");
    if (!forwardedFor || !isTrusted(direct)) return direct;
    // Walk from the nearest hop outwards; the first address we do not trust is the client.
    const hops = forwardedFor
      .split(",")
      .map((hop) => normalize(hop.trim()))
      .filter(Boolean);
    for (let index = hops.length - 1; index >= 0; index--) {
      const hop = hops[index] as string;
      if (!isTrusted(hop) || index === 0) return hop;
    }
    return direct;
  };
}

function normalize(ip: string): string {
  const lower = ip.toLowerCase();
  return lower.startsWith("::ffff:") && isIPv4(lower.slice(7)) ? lower.slice(7) : lower;
}

function familyOf(ip: string): "ipv4" | "ipv6" | undefined {
  return isIPv4(ip) ? "ipv4" : isIPv6(ip) ? "ipv6" : undefined;
}

/** An IP or CIDR; anything else is a configuration mistake, reported at boot rather than silently never matching. */
function trust(list: BlockList, entry: string) {
  const [base = "", bitsText] = entry.trim().split("/");
  const address = normalize(base);
  const family = familyOf(address);
  if (!family) throw new Error(`Trusted proxy "${entry}" is not an IP address or CIDR`);
  if (bitsText === undefined) return list.addAddress(address, family);
  // An IPv4-mapped range (::ffff:10.0.0.0/104) is the IPv4 range it maps.
  const bits = Number(bitsText) - (family === "ipv4" && base.includes(":") ? 96 : 0);
  list.addSubnet(address, bits, family);
}

/**
 * What per-IP limits count: an IPv4 address as it is, an IPv6 address by its network (a /64 by default,
 * the block one subscriber usually gets, who can otherwise rotate through 2^64 addresses).
 * IPv4-mapped IPv6 (`::ffff:192.0.2.1`, `::ffff:c000:201`) counts as the IPv4 address; anything that
 * is not an IP (no peer address) is counted as given.
 */
export function clientNetwork(ip: string, ipv6PrefixLength: number): string {
  const address = normalize(ip.split("%")[0] ?? ip);
  if (!isIPv6(address)) return address;
  const groups = ipv6Groups(address);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    const [high = 0, low = 0] = groups.slice(6);
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join(".");
  }
  const masked = groups.map((group, index) => {
    const bits = Math.min(16, Math.max(0, ipv6PrefixLength - 16 * index));
    return group & ((0xffff << (16 - bits)) & 0xffff);
  });
  return `${masked.map((group) => group.toString(16)).join(":")}/${ipv6PrefixLength}`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a dotted IPv4 tail converted). */
function ipv6Groups(address: string): number[] {
  const tail = address.slice(address.lastIndexOf(":") + 1);
  let text = address;
  if (isIPv4(tail)) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split(".").map(Number);
    text = `${address.slice(0, address.length - tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string) => (part ? part.split(":").map((group) => Number.parseInt(group, 16)) : []);
  const [head = "", rest] = text.split("::");
  if (rest === undefined) return parse(head);
  const front = parse(head);
  const back = parse(rest);
  return [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
}
