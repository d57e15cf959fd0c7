import type { FileDeps } from "../../deps";
import type { CachedVariant } from "../../services/caches";
import { contentResponse } from "../../services/content-response";
import { verifySignature } from "../../services/signing";
import { canonicalVariant, fits, formats, type VariantParams } from "../../services/variant-params";
import type { FileRow } from "../../services/views";

const path = /^\/files\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/content$/;
const allowedParams = new Set(["w", "h", "fit", "format", "q", "expires", "sig"]);
const requestIdPattern = /^[\w.:-]{1,128}$/;
const ROUTE = "/files/:id/content";
const MAX_VERIFIED = 10_000;

/**
 * The hot path of an image-heavy page: a variant this instance already holds in memory, of a
 * public file or behind a valid signed URL, answered before the router and its middleware (the
 * same headers, metrics sample and log line). Anything else — a token, a CORS request, a range,
 * a parameter out of bounds or repeated, a bad signature, a cache miss — returns undefined and
 * takes the full route, which validates, renders and reports errors in the one error shape.
 */
export function cachedContent(deps: FileDeps) {
  const { caches, config, metrics, logger } = deps;
  const ctx = { deps, logger };
  // Signatures already checked (the same <img src> is asked for again and again), until they expire.
  const verified = new Map<string, number>();
  // The answer's fixed headers, built once per file row and variant.
  const templates = new WeakMap<CachedVariant, { row: FileRow; headers: Record<string, string>; etag: string }>();
  const observe = metrics.httpDuration.labels("GET", ROUTE, "200");

  const integer = (value: string | undefined, min: number, max: number): number | undefined | null => {
    if (value === undefined) return undefined;
    if (!/^\d{1,15}$/.test(value)) return null;
    const number = Number(value);
    return number >= min && number <= max ? number : null;
  };

  const signatureOk = (fileId: string, expires: number, sig: string, nowSeconds: number) => {
    const key = `${fileId}:${expires}:${sig}`;
    if (verified.has(key)) return expires > nowSeconds;
    try {
      verifySignature(ctx, fileId, expires, sig);
    } catch {
      return false;
    }
    if (verified.size >= MAX_VERIFIED) verified.clear();
    verified.set(key, expires);
    return true;
  };

  const templateFor = (file: FileRow, cached: CachedVariant & { bytes: Uint8Array }, format: string, key: string) => {
    const existing = templates.get(cached);
    if (existing && existing.row === file) return existing;
    const etag = `"${file.sha256.slice(0, 24)}-${Bun.hash(key).toString(36)}"`;
    const answer = contentResponse({
      source: { size: cached.bytes.length, open: () => cached.bytes },
      contentType: cached.contentType,
      name: `${file.name.replace(/\.[^.]{1,10}$/, "")}.${format === "jpeg" ? "jpg" : format}`,
      etag,
      cacheControl: "",
    });
    const headers = Object.fromEntries(answer.headers.entries());
    delete headers["cache-control"];
    const template = { row: file, headers, etag };
    templates.set(cached, template);
    return template;
  };

  return (request: Request): Response | undefined => {
    if (request.method !== "GET") return undefined;
    const started = performance.now();
    const url = request.url;
    const pathStart = url.indexOf("/", url.indexOf("//") + 2);
    const queryStart = url.indexOf("?", pathStart);
    const match = path.exec(queryStart < 0 ? url.slice(pathStart) : url.slice(pathStart, queryStart));
    if (!match) return undefined;
    const headers = request.headers;
    if (headers.has("authorization") || headers.has("origin") || headers.has("range")) return undefined;
    const query: Record<string, string> = {};
    if (queryStart >= 0) {
      for (const pair of url.slice(queryStart + 1).split("&")) {
        const equals = pair.indexOf("=");
        const name = equals < 0 ? pair : pair.slice(0, equals);
        const value = equals < 0 ? "" : pair.slice(equals + 1);
        // Only plain values: anything encoded or repeated is the router's to judge.
        if (!allowedParams.has(name) || name in query || value.includes("%") || value.includes("+")) return undefined;
        query[name] = value;
      }
    }
    const file = caches.files.get(match[1] as string);
    if (!file) return undefined;

    const nowSeconds = Math.floor(deps.clock().getTime() / 1000);
    const expires = integer(query.expires, 1, Number.MAX_SAFE_INTEGER);
    const sig = query.sig;
    if (expires === null || (expires === undefined) !== (sig === undefined)) return undefined;
    if (expires === undefined ? !file.public : !signatureOk(file.id, expires, sig as string, nowSeconds)) return undefined;

    const params: VariantParams = {};
    for (const [name, max] of [
      ["w", config.maxVariantDimension],
      ["h", config.maxVariantDimension],
      ["q", 100],
    ] as const) {
      const value = integer(query[name], 1, max);
      if (value === null) return undefined;
      params[name] = value;
    }
    if (query.fit !== undefined && !fits.includes(query.fit as never)) return undefined;
    if (query.format !== undefined && !formats.includes(query.format as never)) return undefined;
    params.fit = query.fit as VariantParams["fit"];
    params.format = query.format as VariantParams["format"];
    const variant = canonicalVariant(params);
    if (!variant) return undefined;
    const cached = caches.variants.get(file.id, variant.key);
    if (!cached?.bytes) return undefined;

    const template = templateFor(file, cached as CachedVariant & { bytes: Uint8Array }, variant.format, variant.key);
    const incoming = headers.get("x-request-id");
    const requestId = incoming && requestIdPattern.test(incoming) ? incoming : crypto.randomUUID();
    const cacheControl = file.public ? "public, max-age=3600" : `private, max-age=${Math.max(0, Math.min((expires as number) - nowSeconds, 3600))}`;
    const ifNoneMatch = headers.get("if-none-match");
    if (ifNoneMatch !== null && ifNoneMatch !== template.etag) return undefined;
    const notModified = ifNoneMatch !== null;
    const response = new Response(notModified ? null : cached.bytes, {
      status: notModified ? 304 : 200,
      headers: { ...template.headers, "cache-control": cacheControl, "x-request-id": requestId, vary: "Origin" },
    });
    const seconds = (performance.now() - started) / 1000;
    if (notModified) metrics.httpDuration.observe({ method: "GET", route: ROUTE, status: "304" }, seconds);
    else observe.observe(seconds);
    if (logger.isLevelEnabled("info")) {
      logger.info(
        {
          requestId,
          method: "GET",
          route: ROUTE,
          path: url.slice(pathStart, queryStart < 0 ? undefined : queryStart),
          status: response.status,
          ms: Math.round(seconds * 1000),
        },
        "request",
      );
    }
    return response;
  };
}
