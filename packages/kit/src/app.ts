import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { cors } from "hono/cors";
import type { Logger } from "pino";
import { createClientIpResolver } from "./client-ip";
import { ApiError, issuesToDetails, renderError, toApiError } from "./errors";
import { type Check, mountOperations } from "./health";
import { type Metrics, routeTemplate } from "./metrics";
import type { AppEnv } from "./types";

/** What the kit's request middleware needs to know about a request to tell whether its body is streamed. */
export type RawBodyRule = (request: { method: string; path: string }) => boolean;
/** Request headers CORS allows and response headers it exposes, beyond the kit's own. */
export type CorsHeaders = { allowHeaders?: string[]; exposeHeaders?: string[] };
/**
 * A part of a service that speaks another API's dialect (the AI service's OpenAI-compatible /ai/v1):
 * under `prefix` its errors are rendered by `render` instead of the one error shape, and JSON
 * bodies may be up to `bodyLimitBytes` (still JSON-only) instead of the app-wide limit.
 */
export type Dialect = { prefix: string; render: (c: Context<AppEnv>, error: ApiError) => Response; bodyLimitBytes?: number };

export type KitOptions = {
  service: string;
  logger: Logger;
  metrics: Metrics;
  corsOrigins: string[];
  trustedProxies: string[];
  bodyLimitBytes: number;
  /**
   * Requests whose body the service reads itself as a stream (uploads: multipart, octet-stream,
   * tus). They skip the JSON-only check and the app-wide body limit, so the route must enforce its
   * own limit while it reads. Everything else keeps both.
   */
  rawBody?: RawBodyRule;
  /** e.g. tus's Upload-Offset. */
  cors?: CorsHeaders;
  dialect?: Dialect;
};

/** A route group: the shared validation hook turns every zod failure into VALIDATION_FAILED. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        throw new ApiError({ code: "VALIDATION_FAILED", message: `Invalid ${result.target}`, details: issuesToDetails(result.error.issues) });
      }
    },
  });
}

const requestIdPattern = /^[\w.:-]{1,128}$/;
const bodyMethods = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/**
 * The one way a Lodge service builds its Hono app: request id, client IP, one log line and one
 * histogram sample per request, CORS, body limit, JSON-only bodies (except the `rawBody` routes),
 * and the one error shape.
 */
export function createApp(options: KitOptions): OpenAPIHono<AppEnv> {
  const app = createRouter();
  const resolveClientIp = createClientIpResolver(options.trustedProxies);

  app.use(async (c, next) => {
    const incoming = c.req.header("x-request-id");
    const requestId = incoming && requestIdPattern.test(incoming) ? incoming : crypto.randomUUID();
    c.set("requestId", requestId);
    // Made on first use: most requests never log from a handler or need the client's address.
    c.set(
      "logger",
      once(() => options.logger.child({ requestId })),
    );
    c.set(
      "clientIp",
      once(() => resolveClientIp(c.env?.requestIP?.(c.req.raw)?.address, c.req.header("x-forwarded-for"))),
    );
    c.header("X-Request-Id", requestId);
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    const route = routeTemplate(c);
    const status = c.res.status;
    options.metrics.httpDuration.observe({ method: c.req.method, route, status: String(status) }, seconds);
    const level = status >= 500 ? "error" : "info";
    // Checked first: the line's fields (the path parsed from the URL) cost more than a disabled level's no-op.
    if (route === "/health" || route === "/ready" || route === "/metrics" || !options.logger.isLevelEnabled(level)) return;
    options.logger[level]({ requestId, method: c.req.method, route, path: c.req.path, status, ms: Math.round(seconds * 1000) }, "request");
  });

  const corsForAllowedOrigin = cors({
    origin: (origin) => origin,
    credentials: true,
    allowHeaders: ["Content-Type", "Authorization", "X-Request-Id", ...(options.cors?.allowHeaders ?? [])],
    exposeHeaders: ["X-Request-Id", "Retry-After", ...(options.cors?.exposeHeaders ?? [])],
    maxAge: 600,
  });
  // Hono's cors sends Allow-Credentials and Allow-Methods whatever the origin: other origins get no CORS headers at all.
  app.use(async (c, next) => {
    if (options.corsOrigins.includes(c.req.header("origin") ?? "")) return corsForAllowedOrigin(c, next);
    // Set before the response exists: a header set afterwards makes Hono copy the whole response.
    c.header("Vary", "Origin", { append: true });
    return next();
  });

  const isRaw = (c: Context) => options.rawBody?.({ method: c.req.method, path: c.req.path }) === true;
  const { dialect } = options;
  const inDialect = (c: Context) => dialect !== undefined && c.req.path.startsWith(dialect.prefix);
  const limitBody = bodyLimitOf(options.bodyLimitBytes);
  const limitDialectBody = bodyLimitOf(dialect?.bodyLimitBytes ?? options.bodyLimitBytes);
  // Bodies: within the limit (checked first), and JSON. Only methods that carry one; the rawBody routes read and limit their own.
  app.use(async (c, next) => {
    if (!bodyMethods.has(c.req.method) || isRaw(c)) return next();
    return (inDialect(c) ? limitDialectBody : limitBody)(c, async () => {
      if (hasBody(c) && !isJson(c.req.header("content-type"))) {
        throw new ApiError({ code: "UNSUPPORTED_MEDIA_TYPE", message: "Send the body as application/json" });
      }
      await next();
    });
  });

  const render = (c: Context<AppEnv>, error: ApiError) => (dialect && inDialect(c) ? dialect.render(c, error) : renderError(c, error));
  app.notFound((c) => render(c, new ApiError({ code: "NOT_FOUND", message: "No such route" })));
  app.onError((error, c) => {
    const apiError = toApiError(error);
    if (apiError.status >= 500) c.get("logger")?.().error({ err: error }, "request failed");
    return render(c, apiError);
  });

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer", bearerFormat: "JWT" });
  return app;
}

function bodyLimitOf(maxSize: number) {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError({ code: "PAYLOAD_TOO_LARGE", message: `Body is larger than ${maxSize} bytes` });
    },
  });
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
}

function hasBody(c: Context): boolean {
  const length = c.req.header("content-length");
  return (length !== undefined && length !== "0") || c.req.header("transfer-encoding") !== undefined;
}

function isJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const mediaType = contentType.split(";")[0]?.trim().toLowerCase();
  return mediaType === "application/json" || (mediaType?.startsWith("application/") === true && mediaType.endsWith("+json"));
}

export type OpenApiInfo = { prefix: string; title: string; version?: string; description?: string };

/** Serves this service's OpenAPI 3.1 document at `<prefix>/openapi.json`. */
export function mountOpenApi(app: OpenAPIHono<AppEnv>, info: OpenApiInfo) {
  app.doc31(`${info.prefix}/openapi.json`, {
    openapi: "3.1.0",
    info: { title: info.title, version: info.version ?? "1.0.0", description: info.description },
  });
}

export type ServiceAppOptions = KitOptions & {
  /** What /ready checks (each must answer within 2 s). */
  checks: Record<string, Check>;
  /** True once shutdown has begun: /ready answers 503. */
  isDraining?: () => boolean;
  openApi: OpenApiInfo;
};

/**
 * A service's app: `createApp`, its /health, /ready and /metrics, and its OpenAPI document at
 * `<prefix>/openapi.json` (mounted first, so a `<prefix>/{id}` route cannot shadow it).
 */
export function createServiceApp(options: ServiceAppOptions): OpenAPIHono<AppEnv> {
  const app = createApp(options);
  mountOperations(app, options);
  mountOpenApi(app, options.openApi);
  return app;
}
