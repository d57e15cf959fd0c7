import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ApiError, type AppEnv, ctxOf, errorResponses, issuesToDetails, jsonResponse } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { EVENT_LIMITS, WebEventFields } from "../../helpers/event-fields";
import { ingestEvents } from "../../services/ingest-events";

/** A request: a batch (`events`), or one event's fields beside the siteKey. */
const Envelope = z.object({
  siteKey: z.string().min(1).max(100).openapi({ description: "The site's key (from its script tag)" }),
  events: z
    .array(z.unknown())
    .min(1)
    .max(EVENT_LIMITS.batch)
    .optional()
    .openapi({ description: `Up to ${EVENT_LIMITS.batch} events; without it, the body is one event` }),
});

/** The body as documented (the handler reads it itself: JSON, or text/plain JSON from sendBeacon). */
const documentedBody = z.toJSONSchema(
  WebEventFields.partial().extend({ siteKey: Envelope.shape.siteKey, events: z.array(WebEventFields).min(1).max(EVENT_LIMITS.batch).optional() }),
  { io: "input", unrepresentable: "any", target: "openapi-3.0" },
);

const Accepted = z
  .object({
    accepted: z.number().int().openapi({ description: "Events queued (stored shortly after)" }),
    dropped: z.array(z.object({ index: z.number().int(), reason: z.string() })).openapi({
      description: "Events left out and why: bot, excluded_ip, excluded_path, or invalid_<field> (the first field that failed its check)",
    }),
  })
  .openapi("AnalyticsIngestResult");

export const ingestRoute = createRoute({
  method: "post",
  path: "/analytics/events",
  tags: ["ingest"],
  summary: "Record page views and custom events (public, keyed by siteKey; the tracker's beacons)",
  description:
    "JSON, or text/plain JSON (navigator.sendBeacon). Answered 202 once the events are durably queued; 503 with Retry-After (nothing queued) while too many accepted events wait to be stored (ANALYTICS_MAX_BACKLOG). From a browser, the page's origin must be one of the site's (its domain, a subdomain, an extra origin).",
  request: {
    body: {
      required: true,
      content: { "application/json": { schema: documentedBody as never }, "text/plain": { schema: documentedBody as never } },
    },
  },
  responses: {
    202: jsonResponse(Accepted, "Queued: the events kept, and those dropped with their reasons"),
    ...errorResponses(400, 403, 404, 413, 415, 422, 429, 503),
  },
});

const isAccepted = (contentType: string | undefined) => {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  return type === "application/json" || type === "text/plain";
};

/** The body as text, refused (PAYLOAD_TOO_LARGE) as soon as it passes `maxBytes`, declared or not. */
async function readBody(request: Request, maxBytes: number): Promise<string> {
  const tooLarge = () => new ApiError({ code: "PAYLOAD_TOO_LARGE", message: `Body is larger than ${maxBytes} bytes` });
  const declared = request.headers.get("content-length");
  if (Number(declared ?? 0) > maxBytes) throw tooLarge();
  // A declared length within the limit is the body's length (HTTP framing): read it in one go.
  if (declared !== null && !request.headers.has("transfer-encoding")) return request.text();
  if (!request.body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of request.body) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export const ingest =
  (deps: AnalyticsDeps): RouteHandler<typeof ingestRoute, AppEnv> =>
  async (c) => {
    if (!isAccepted(c.req.header("content-type"))) {
      throw new ApiError({ code: "UNSUPPORTED_MEDIA_TYPE", message: "Send the events as application/json or text/plain JSON" });
    }
    const text = await readBody(c.req.raw, deps.env.ANALYTICS_MAX_BODY_BYTES);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError({ code: "VALIDATION_FAILED", status: 400, message: "The body is not JSON" });
    }
    const envelope = Envelope.safeParse(body);
    if (!envelope.success) throw new ApiError({ code: "VALIDATION_FAILED", message: "Invalid body", details: issuesToDetails(envelope.error.issues) });
    const origin = c.req.header("origin");
    const result = await ingestEvents({
      ctx: ctxOf(c, deps),
      input: {
        siteKey: envelope.data.siteKey,
        events: envelope.data.events ?? [body],
        origin,
        ip: c.get("clientIp")(),
        userAgent: c.req.header("user-agent") ?? "",
      },
    });
    if (origin !== undefined) c.header("Access-Control-Allow-Origin", origin);
    c.header("Vary", "Origin");
    return c.json(result, 202);
  };
