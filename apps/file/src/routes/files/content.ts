import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ApiError, type AppEnv, ctxOf, errorResponses } from "@lodge/kit";
import type { FileDeps } from "../../deps";
import { allowed, loadFile } from "../../services/access";
import { type ContentSource, contentResponse } from "../../services/content-response";
import { verifySignature } from "../../services/signing";
import { canonicalVariant, variantQuery } from "../../services/variant-params";
import { getVariant } from "../../services/variants";
import { FileId } from "../schemas";

const Binary = z.string().openapi({ format: "binary" });

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
      query: variantQuery(maxDimension).extend({
        download: z.enum(["1", "true"]).optional().openapi({ description: "Always as an attachment" }),
        expires: z.coerce.number().int().positive().optional().openapi({ description: "Signed URL: expiry (Unix seconds)" }),
        sig: z.string().max(128).optional().openapi({ description: "Signed URL: signature" }),
      }),
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
    const ctx = ctxOf(c, deps);
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const file = await loadFile(ctx, id);

    let cacheControl: string;
    if (query.sig !== undefined || query.expires !== undefined) {
      if (query.sig === undefined || query.expires === undefined) throw new ApiError({ code: "FORBIDDEN", message: "Invalid signature" });
      verifySignature(ctx, file.id, query.expires, query.sig);
      const left = query.expires - Math.floor(deps.clock().getTime() / 1000);
      cacheControl = file.public ? "public, max-age=3600" : `private, max-age=${Math.max(0, Math.min(left, 3600))}`;
    } else if (file.public) {
      cacheControl = "public, max-age=3600";
    } else {
      const principal = await deps.guard.optionalPrincipal(c);
      if (!principal) throw new ApiError({ code: "UNAUTHORIZED", message: "Sign in, or use a signed URL" });
      if (!allowed(principal, file, "read")) throw new ApiError({ code: "NOT_FOUND", message: "No such file" });
      cacheControl = "private, no-cache";
    }

    const variant = canonicalVariant(query);
    let source: ContentSource;
    let contentType = file.contentType;
    let etag = `"${file.sha256}"`;
    let name = file.name;
    if (variant) {
      const rendered = await getVariant({ ctx, input: { file, variant, clientIp: c.get("clientIp")() } });
      const bytes = rendered.bytes;
      source = bytes
        ? { size: bytes.length, open: (range) => (range ? bytes.subarray(range.start, range.end + 1) : bytes) }
        : { size: rendered.size, open: (range) => deps.storage.body(rendered.storageKey, range) };
      contentType = rendered.contentType;
      etag = `"${file.sha256.slice(0, 24)}-${Bun.hash(variant.key).toString(36)}"`;
      name = `${file.name.replace(/\.[^.]{1,10}$/, "")}.${variant.format === "jpeg" ? "jpg" : variant.format}`;
    } else {
      source = { size: file.size, open: (range) => deps.storage.body(file.storageKey, range) };
    }
    const answer = contentResponse({
      source,
      contentType,
      name,
      etag,
      cacheControl,
      download: query.download !== undefined,
      range: c.req.header("range"),
      ifNoneMatch: c.req.header("if-none-match"),
      ifRange: c.req.header("if-range"),
      setHeader: (header, value) => c.header(header, value),
    });
    // Through c.newResponse, so the headers set before the handler (request id, CORS) are kept.
    return c.newResponse(answer.body as never, { status: answer.status as 200, headers: answer.headers });
  };
};
