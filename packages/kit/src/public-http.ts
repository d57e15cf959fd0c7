import { lookup } from "node:dns/promises";
import http from "node:http";
import https from "node:https";
import { BlockList, isIP } from "node:net";

/**
 * Requests to URLs someone else chose (webhooks), safe from server-side request forgery: only
 * http(s), only public unicast addresses unless the host is explicitly allowed, checked after DNS
 * resolution, and the connection made to the very address that was checked (so a second, rebound
 * DNS answer cannot switch it), with the Host header and TLS SNI still naming the host. Redirects
 * are never followed; a request has a deadline and reads a bounded part of the answer.
 */

/** Every range that is not a public unicast destination: private, loopback, link-local, CGNAT, multicast, unspecified, reserved, documentation, translation. */
const nonPublic = new BlockList();
for (const [network, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
] as const)
  nonPublic.addSubnet(network, prefix, "ipv4");
for (const [network, prefix] of [
  // Unspecified, loopback and the deprecated IPv4-compatible form (IPv4-mapped ::ffff:a.b.c.d is checked as its IPv4 address by BlockList).
  ["::", 96],
  ["64:ff9b::", 96],
  ["64:ff9b:1::", 48],
  ["100::", 64],
  ["2001::", 32],
  ["2001:db8::", 32],
  ["2002::", 16],
  ["fc00::", 7],
  ["fe80::", 10],
  ["fec0::", 10],
  ["ff00::", 8],
] as const)
  nonPublic.addSubnet(network, prefix, "ipv6");

/** Whether `address` (an IP literal) is a public unicast address; anything unparsable is not. */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const mapped = family === 6 ? ipv4Mapped(address) : undefined;
  if (mapped) return !nonPublic.check(mapped, "ipv4");
  return !nonPublic.check(address, family === 4 ? "ipv4" : "ipv6");
}

/** The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:7f00:1`, `::ffff:127.0.0.1`), so it meets the IPv4 rules. */
function ipv4Mapped(address: string): string | undefined {
  const canonical = new URL(`http://[${address}]/`).hostname.slice(1, -1);
  const match = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(canonical);
  if (!match) return undefined;
  const [high, low] = [Number.parseInt(match[1] as string, 16), Number.parseInt(match[2] as string, 16)];
  return [high >> 8, high & 255, low >> 8, low & 255].join(".");
}

/** Why a target is refused: a wrong scheme, credentials in it, a non-public address, a name that does not resolve. */
export class RefusedTarget extends Error {
  constructor(
    message: string,
    readonly reason: "scheme" | "credentials" | "address" | "unresolvable",
  ) {
    super(message);
    this.name = "RefusedTarget";
  }
}

export type TargetRules = {
  /** Hosts (names or IP literals, lower case) allowed although they are not public. */
  allowedHosts: readonly string[];
};

/** A checked target: the URL and the address to connect to. */
export type CheckedTarget = { url: URL; address: string; family: 4 | 6 };

/**
 * Parses and checks `target`: http(s), no credentials, and every address its host resolves to
 * public (or the host allowed). Returns the address to connect to; throws RefusedTarget.
 */
export async function checkTarget(target: string | URL, rules: TargetRules): Promise<CheckedTarget> {
  const url = new URL(target);
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new RefusedTarget("only http and https URLs", "scheme");
  if (url.username || url.password) throw new RefusedTarget("credentials in the URL are not allowed", "credentials");
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  const addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await resolve(host);
  const allowed = rules.allowedHosts.includes(host);
  // Every answer must pass, not just the first: the connection could otherwise land on another one.
  const refused = allowed ? undefined : addresses.find((candidate) => !isPublicAddress(candidate.address));
  if (refused) throw new RefusedTarget(`${host} is not a public address (${refused.address})`, "address");
  const [first] = addresses;
  if (!first) throw new RefusedTarget(`${host} does not resolve`, "unresolvable");
  return { url, address: first.address, family: first.family === 6 ? 6 : 4 };
}

async function resolve(host: string) {
  try {
    return await lookup(host, { all: true, verbatim: true });
  } catch {
    throw new RefusedTarget(`${host} does not resolve`, "unresolvable");
  }
}

export type PublicPostResult = { status: number; headers: http.IncomingHttpHeaders; body: string; durationMs: number };

/**
 * POSTs `body` to a checked target, connecting to its checked address (Host and SNI from the URL).
 * The whole exchange is bounded by `timeoutMs`; at most `maxResponseBytes` of the answer are read,
 * then the connection is dropped. A redirect is returned as it is (never followed).
 */
export async function postToTarget(
  target: CheckedTarget,
  options: { headers: Record<string, string>; body: string; timeoutMs: number; maxResponseBytes: number },
): Promise<PublicPostResult> {
  const answer = await requestTarget(target, { ...options, method: "POST" });
  return { status: answer.status, headers: answer.headers, body: answer.body.toString("utf8"), durationMs: answer.durationMs };
}

export type PublicGetResult = {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** At most `maxResponseBytes` of the answer. */
  body: Buffer;
  /** Whether the answer was longer than `maxResponseBytes` (then `body` is only its start). */
  cut: boolean;
  durationMs: number;
};

/** GETs a checked target (a file someone else named, such as a provider's image URL), under the same rules as postToTarget. */
export function getFromTarget(target: CheckedTarget, options: { headers?: Record<string, string>; timeoutMs: number; maxResponseBytes: number }) {
  return requestTarget(target, { ...options, method: "GET", headers: options.headers ?? {} });
}

function requestTarget(
  target: CheckedTarget,
  options: { method: "GET" | "POST"; headers: Record<string, string>; body?: string; timeoutMs: number; maxResponseBytes: number },
): Promise<PublicGetResult> {
  const started = performance.now();
  const client = target.url.protocol === "https:" ? https : http;
  const headers = options.body === undefined ? options.headers : { ...options.headers, "content-length": String(Buffer.byteLength(options.body)) };
  return new Promise((resolveRequest, reject) => {
    let settled = false;
    /** Settles once: a dropped answer also ends and errors after it was settled. */
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      outcome();
    };
    const request = client.request(
      target.url,
      {
        method: options.method,
        headers,
        // The name was resolved and checked already: connect to that address, whatever DNS says now.
        lookup: (_host, lookupOptions, callback) => {
          const done = callback as (...args: unknown[]) => void;
          if ((lookupOptions as { all?: boolean }).all) done(null, [{ address: target.address, family: target.family }]);
          else done(null, target.address, target.family);
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = (cut: boolean) =>
          settle(() => {
            const body = Buffer.concat(chunks).subarray(0, options.maxResponseBytes);
            resolveRequest({ status: response.statusCode ?? 0, headers: response.headers, body, cut, durationMs: Math.round(performance.now() - started) });
          });
        response.on("data", (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size <= options.maxResponseBytes) return;
          // Enough read: the rest of a large answer is not waited for.
          finish(true);
          response.destroy();
        });
        response.on("end", () => finish(false));
        response.on("error", (error) => settle(() => reject(error)));
      },
    );
    const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs);
    request.on("error", (error) => settle(() => reject(error)));
    request.end(options.body);
  });
}
