import { BlockList, isIPv4, isIPv6 } from "node:net";

/**
 * A site's rules as data: its domain and extra origins (who may send its events) and its excluded
 * paths and addresses (whose events are dropped). Each is checked when the site is saved, so what
 * the table holds always parses.
 */

const hostLabel = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
const hostPattern = new RegExp(`^(?=.{1,253}$)${hostLabel}(?:\\.${hostLabel})*$`);

/** `Example.COM`, `https://example.com/` → `example.com`; null for anything but a bare host (a path, a port, credentials, a query). */
export function normalizeDomain(value: string): string | null {
  const text = value.trim();
  let url: URL;
  try {
    url = new URL(text.includes("://") ? text : `https://${text}`);
  } catch {
    return null;
  }
  const bare = url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password && !url.port;
  if (!bare || (url.protocol !== "https:" && url.protocol !== "http:")) return null;
  return hostPattern.test(url.hostname) || isIPv4(url.hostname) ? url.hostname : null;
}

/** `https://App.example.net/` → `https://app.example.net`; null unless an http(s) origin alone. */
export function normalizeOrigin(value: string): string | null {
  try {
    const url = new URL(value.trim());
    if ((url.protocol !== "https:" && url.protocol !== "http:") || url.pathname !== "/" || url.search || url.hash || url.username) return null;
    return url.origin;
  } catch {
    return null;
  }
}

/** Whether a page of `origin` may send the site's events: its domain, a subdomain of it, or one of its extra origins. */
export function originAllowed(site: { domain: string; extraOrigins: readonly string[] }, origin: string): boolean {
  if (site.extraOrigins.includes(origin)) return true;
  let host: string;
  try {
    const url = new URL(origin);
    if (url.protocol !== "https:" && url.protocol !== "http:") return false;
    host = url.hostname;
  } catch {
    return false;
  }
  return host === site.domain || host.endsWith(`.${site.domain}`);
}

/** An IP address or a CIDR range, as node's BlockList takes it; null when it is neither. */
function addressRule(value: string): { address: string; bits?: number; family: "ipv4" | "ipv6" } | null {
  const [address = "", bitsText, extra] = value.trim().split("/");
  const family = isIPv4(address) ? "ipv4" : isIPv6(address) ? "ipv6" : null;
  if (!family || extra !== undefined) return null;
  if (bitsText === undefined) return { address, family };
  const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : Number.NaN;
  return bits <= (family === "ipv4" ? 32 : 128) ? { address, bits, family } : null;
}

export const isAddressOrRange = (value: string) => addressRule(value) !== null;

/** The matcher of a site's excluded addresses (every entry was checked on save). */
export function addressMatcher(entries: readonly string[]): (ip: string) => boolean {
  if (entries.length === 0) return () => false;
  const list = new BlockList();
  for (const entry of entries) {
    const rule = addressRule(entry);
    if (!rule) continue;
    if (rule.bits === undefined) list.addAddress(rule.address, rule.family);
    else list.addSubnet(rule.address, rule.bits, rule.family);
  }
  return (ip) => (isIPv4(ip) ? list.check(ip, "ipv4") : isIPv6(ip) ? list.check(ip, "ipv6") : false);
}

/** A path pattern: starts with `/`; `*` stands for any characters but `/`, `**` for any characters. */
export const isPathPattern = (value: string) => value.startsWith("/") && value.length <= 300;

/** A path pattern as a regular expression's source (unanchored), read alike by JavaScript and Postgres (`~`). */
export function pathPatternSource(pattern: string): string {
  const literal = (text: string) => text.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
  return pattern
    .split("**")
    .map((part) => part.split("*").map(literal).join("[^/]*"))
    .join(".*");
}

/** The matcher of a site's excluded paths. */
export function pathMatcher(patterns: readonly string[]): (pathname: string) => boolean {
  if (patterns.length === 0) return () => false;
  const pattern = new RegExp(`^(?:${patterns.map(pathPatternSource).join("|")})$`);
  return (pathname) => pattern.test(pathname);
}
