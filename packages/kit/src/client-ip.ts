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
