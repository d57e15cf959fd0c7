import { lookup } from "node:dns/promises";
import { isIP } from "node:net";

/**
 * Whether an IP address is one an outbound request from the server must not reach on a user's
 * say-so (SSRF): loopback, private (RFC 1918, IPv6 unique-local), link-local (cloud metadata),
 * carrier-grade NAT, unspecified, multicast or reserved; IPv4-mapped IPv6 is judged as its IPv4.
 */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return isPrivateAddress(mapped);
  if (isIP(address) === 4) {
    const [a = 0, b = 0] = address.split(".").map(Number);
    return (
      a === 0 ||
      a === 10 ||
      a === 127 ||
      a >= 224 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168)
    );
  }
  if (isIP(address) === 6) {
    const lower = address.toLowerCase();
    return lower === "::" || lower === "::1" || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower) || lower.startsWith("ff");
  }
  return true;
}

/**
 * Resolves a URL's host and refuses it (returns a reason) when any of its addresses is private,
 * unless the host is listed in `allowedHosts` (a test's local server). Checked again right before
 * each request, so a name that later resolves elsewhere is caught then.
 */
export async function refusedTarget(url: URL, allowedHosts: readonly string[] = []): Promise<string | undefined> {
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (allowedHosts.includes(host.toLowerCase())) return undefined;
  const addresses = isIP(host)
    ? [host]
    : await lookup(host, { all: true, verbatim: true }).then(
        (found) => found.map((entry) => entry.address),
        () => [],
      );
  if (addresses.length === 0) return "does not resolve";
  if (addresses.some(isPrivateAddress)) return "points to a private, loopback or link-local address";
  return undefined;
}
