import type { FileDeps } from "../../deps";
import { contentResponse } from "../../services/content-response";
import { verifySignature } from "../../services/signing";
import { canonicalVariant, fits, formats, type VariantParams } from "../../services/variants";

const path = /^\/files\/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\/content$/;
const allowedParams = new Set(["w", "h", "fit", "format", "q", "expires", "sig"]);
const requestIdPattern = /^[\w.:-]{1,128}$/;
const ROUTE = "/files/:id/content";

/**
 * The hot path of an image-heavy page: a variant this instance already holds in memory, of a
 * public file or behind a valid signed URL, answered before the router and its middleware (the
 * same headers, metrics sample and log line). Anything else — a token, a cookie-less CORS request,
 * a range, a parameter out of bounds, a bad signature, a cache miss — returns undefined and takes
 * the full route, which validates, renders and reports errors in the one error shape.
 */
export function cachedContent(deps: FileDeps) {
  const { caches, config, metrics, logger } = deps;
  const ctx = { deps, logger };
  const integer = (value: string | null, min: number, max: number) => {
    if (value === null) return undefined;
    if (!/^\d{1,15}$/.test(value)) return null;
    const number = Number(value);
    return number >= min && number <= max ? number : null;
  };

  return (request: Request): Response | undefined => {
    if (request.method !== "GET") return undefined;
    const url = new URL(request.url);
    const match = path.exec(url.pathname);
    if (!match) return undefined;
    const headers = request.headers;
    if (headers.has("authorization") || headers.has("origin") || headers.has("range")) return undefined;
    const query = url.searchParams;
    let count = 0;
    for (const key of query.keys()) {
      if (!allowedParams.has(key)) return undefined;
      count += 1;
    }
    if (count !== new Set(query.keys()).size) return undefined;
    const file = caches.files.get(match[1] as string);
    if (!file) return undefined;

    const expires = integer(query.get("expires"), 1, Number.MAX_SAFE_INTEGER);
    const sig = query.get("sig");
    if (expires === null || (expires === undefined) !== (sig === null)) return undefined;
    if (expires === undefined && !file.public) return undefined;
    if (expires !== undefined) {
      try {
        verifySignature(ctx, file.id, expires, sig as string);
      } catch {
        return undefined;
      }
    }
    const params: VariantParams = {
      w: integer(query.get("w"), 1, config.maxVariantDimension) as number | undefined,
      h: integer(query.get("h"), 1, config.maxVariantDimension) as number | undefined,
      q: integer(query.get("q"), 1, 100) as number | undefined,
      fit: (query.get("fit") ?? undefined) as VariantParams["fit"],
      format: (query.get("format") ?? undefined) as VariantParams["format"],
    };
    if ((params.w as unknown) === null || (params.h as unknown) === null || (params.q as unknown) === null) return undefined;
    if ((params.fit && !fits.includes(params.fit)) || (params.format && !formats.includes(params.format))) return undefined;
    const variant = canonicalVariant(params);
    if (!variant) return undefined;
    const cached = caches.variants.get(file.id, variant.key);
    const bytes = cached?.bytes;
    if (!cached || !bytes) return undefined;

    const started = performance.now();
    const left = expires === undefined ? 0 : expires - Math.floor(deps.clock().getTime() / 1000);
    const response = contentResponse({
      source: { size: bytes.length, open: () => bytes },
      contentType: cached.contentType,
      name: `${file.name.replace(/\.[^.]{1,10}$/, "")}.${variant.format === "jpeg" ? "jpg" : variant.format}`,
      etag: `"${file.sha256.slice(0, 24)}-${Bun.hash(variant.key).toString(36)}"`,
      cacheControl: file.public ? "public, max-age=3600" : `private, max-age=${Math.max(0, Math.min(left, 3600))}`,
      ifNoneMatch: headers.get("if-none-match"),
    });
    const incoming = headers.get("x-request-id");
    const requestId = incoming && requestIdPattern.test(incoming) ? incoming : crypto.randomUUID();
    response.headers.set("X-Request-Id", requestId);
    response.headers.set("Vary", "Origin");
    const seconds = (performance.now() - started) / 1000;
    metrics.httpDuration.observe({ method: "GET", route: ROUTE, status: String(response.status) }, seconds);
    if (logger.isLevelEnabled("info")) {
      logger.info({ requestId, method: "GET", route: ROUTE, path: url.pathname, status: response.status, ms: Math.round(seconds * 1000) }, "request");
    }
    return response;
  };
}
