import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses } from "@lodge/kit";
import type { Context, MiddlewareHandler } from "hono";
import type { FileDeps } from "../../deps";
import type { CachedVariant } from "../../helpers/caches";
import { type ContentSource, contentHeaders, contentLabels, contentResponse } from "../../helpers/content-response";
import { verifySignature } from "../../helpers/signing";
import { canonicalVariant, type Variant, variantQuery } from "../../helpers/variant-params";
import type { FileRow } from "../../helpers/views";
import { readContent } from "../../services/read-content";
import { FileId } from "../schemas";

const Binary = z.string().openapi({ format: "binary" });

const contentQuery = (maxDimension: number) =>
  variantQuery(maxDimension).extend({
    download: z.enum(["1", "true"]).optional().openapi({ description: "Always as an attachment" }),
    expires: z.coerce.number().int().positive().optional().openapi({ description: "Signed URL: expiry (Unix seconds)" }),
    sig: z.string().max(128).optional().openapi({ description: "Signed URL: signature" }),
  });
type ContentQuery = z.infer<ReturnType<typeof contentQuery>>;

export const contentRoute = (maxDimension: number) =>
  createRoute({
    method: "get",
    path: "/files/{id}/content",
    tags: ["files"],
    summary: "The bytes, or an image variant (w, h, fit, format, q), rendered once and cached",
    description:
      "Readable by the owner or an admin (bearer token), by anyone for a public file, or by anyone holding a signed URL (expires + sig). Supports ETag/If-None-Match and one Range. HTML, SVG, XML and unknown types are served as attachments with a sandboxing CSP and nosniff.",
    security: [{ bearer: [] }],
    request: {
      params: FileId,
      query: contentQuery(maxDimension),
    },
    responses: {
      200: { description: "The content", content: { "*/*": { schema: Binary } } },
      206: { description: "The requested range", content: { "*/*": { schema: Binary } } },
      304: { description: "Not modified (If-None-Match)" },
      ...errorResponses(401, 403, 404, 416, 429),
    },
  });

export const content = (deps: FileDeps): RouteHandler<ReturnType<typeof contentRoute>, AppEnv> => {
  return async (c) => {
    const query = c.req.valid("query");
    const variant = canonicalVariant(query);
    const { file, rendered, signedSecondsLeft } = await readContent({
      ctx: ctxOf(c, deps),
      input: { id: c.req.valid("param").id, expires: query.expires, sig: query.sig, variant, identify: () => deps.guard.optionalPrincipal(c) },
    });
    return answer(c, deps, { file, query, variant, rendered, signedSecondsLeft });
  };
};

/**
 * The hot path of an image-heavy page, run before the route's validators and guard (the request
 * middleware, with its request id, CORS, metrics and log line, has run as for any route): a variant
 * this instance holds in memory, of a public file or behind a valid signed URL, answered by the
 * same `answer` as the full handler. Anything else (a token, a file or variant not in memory, a
 * query the validator would refuse, a bad signature) goes on to the full handler, which loads,
 * renders and reports errors.
 */
export const cachedVariant = (deps: FileDeps): MiddlewareHandler<AppEnv> => {
  // The very schema the route validates with, built once per app.
  const schema = contentQuery(deps.config.maxVariantDimension);
  return async (c, next) => {
    if (c.req.header("authorization") !== undefined) return next();
    const file = deps.caches.files.get(c.req.param("id") as string);
    if (!file) return next();
    const url = c.req.url;
    const search = url.slice(url.indexOf("?") + 1 || url.length);
    let parsed = deps.caches.queries.get(search);
    if (!parsed) {
      // The query as the route's validator reads it: a repeated parameter is a list (and refused).
      const raw = Object.fromEntries(Object.entries(c.req.queries()).map(([name, values]) => [name, values.length === 1 ? values[0] : values]));
      const result = schema.safeParse(raw);
      if (!result.success) return next();
      parsed = { query: result.data, variant: canonicalVariant(result.data) };
      deps.caches.queries.set(search, parsed);
    }
    const { query, variant } = parsed;
    const rendered = variant && deps.caches.variants.get(file.id, variant.key);
    if (!variant || !rendered?.bytes) return next();
    let signedSecondsLeft: number | undefined;
    if (query.sig !== undefined && query.expires !== undefined) {
      try {
        verifySignature(ctxOf(c, deps), file.id, query.expires, query.sig);
      } catch {
        return next();
      }
      signedSecondsLeft = query.expires - Math.floor(deps.clock().getTime() / 1000);
    } else if (query.sig !== undefined || query.expires !== undefined || !file.public) {
      return next();
    }
    return answer(c, deps, { file, query, variant, rendered, signedSecondsLeft });
  };
};

/**
 * The content answer of both paths: its headers (contentHeaders with contentLabels, remembered per
 * file row), then contentResponse through Hono's context, which keeps the headers set before the
 * handler (request id, CORS).
 */
function answer(
  c: Context<AppEnv>,
  deps: FileDeps,
  input: { file: FileRow; query: ContentQuery; variant?: Variant; rendered?: CachedVariant; signedSecondsLeft?: number },
) {
  const { file, variant, rendered } = input;
  const bytes = rendered?.bytes;
  const source: ContentSource = bytes
    ? { size: bytes.length, open: (range) => (range ? bytes.subarray(range.start, range.end + 1) : bytes) }
    : rendered
      ? { size: rendered.size, open: (range) => deps.storage.body(rendered.storageKey, range) }
      : { size: file.size, open: (range) => deps.storage.body(file.storageKey, range) };
  const download = input.query.download !== undefined;
  const headers = deps.caches.answerHeaders(file, `${variant?.key}|${download}|${input.signedSecondsLeft}`, () =>
    contentHeaders({ contentType: rendered?.contentType ?? file.contentType, download, ...contentLabels(file, variant, input.signedSecondsLeft) }),
  );
  const response = contentResponse({
    source,
    headers,
    range: c.req.header("range"),
    ifNoneMatch: c.req.header("if-none-match"),
    ifRange: c.req.header("if-range"),
    setHeader: (header, value) => c.header(header, value),
  });
  return c.newResponse(response.body as never, response.status, response.headers);
}
