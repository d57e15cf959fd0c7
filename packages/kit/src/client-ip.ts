/** Trusted-proxy aware client IP: X-Forwarded-For is believed only when the peer is a trusted proxy. */
export function createClientIpResolver(trustedProxies: string[]) {
  const matchers = trustedProxies.map(parseCidr);
  const isTrusted = (ip: string) => matchers.some((match) => match(normalize(ip)));

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
  return ip.startsWith("::ffff:") && ip.includes(".") ? ip.slice(7) : ip.toLowerCase();
}

function parseCidr(entry: string): (ip: string) => boolean {
  const [base = "", bitsText] = entry.split("/");
  const address = normalize(base);
  if (bitsText === undefined || !address.includes(".")) return (ip) => ip === address;
  const bits = Number(bitsText);
  const network = ipv4ToInt(address);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return (ip) => ip.includes(".") && (ipv4ToInt(ip) & mask) >>> 0 === (network & mask) >>> 0;
}

function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((value, octet) => ((value << 8) + Number(octet)) >>> 0, 0);
}
