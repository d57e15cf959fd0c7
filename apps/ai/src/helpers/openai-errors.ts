import type { ApiError, AppEnv, ErrorCode } from "@lodge/kit";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";

/** Budgets refuse with OpenAI's `insufficient_quota`; every other limit with `rate_limit_exceeded`. */
const quotaLimits = new Set(["daily_budget", "monthly_budget"]);

const typeAndCode: Record<ErrorCode, [type: string, code: string]> = {
  VALIDATION_FAILED: ["invalid_request_error", "invalid_value"],
  UNAUTHORIZED: ["invalid_request_error", "invalid_api_key"],
  FORBIDDEN: ["invalid_request_error", "permission_denied"],
  NOT_FOUND: ["invalid_request_error", "not_found"],
  CONFLICT: ["invalid_request_error", "conflict"],
  PAYLOAD_TOO_LARGE: ["invalid_request_error", "payload_too_large"],
  UNSUPPORTED_MEDIA_TYPE: ["invalid_request_error", "unsupported_media_type"],
  RATE_LIMITED: ["requests", "rate_limit_exceeded"],
  INTERNAL: ["server_error", "internal_error"],
  UNAVAILABLE: ["server_error", "service_unavailable"],
};
const gatewayCodes: Partial<Record<number, string>> = { 502: "bad_gateway", 504: "gateway_timeout" };

type Details = { param?: unknown; code?: unknown; limit?: unknown; headers?: unknown } | { path?: unknown }[] | undefined;

/**
 * An error on /ai/v1 in OpenAI's body (`error.message`, `type`, `code`, `param`) plus Lodge's
 * `requestId`, so OpenAI's SDKs raise the matching error class. Validation failures are 400 as at
 * OpenAI; a 429 carries Retry-After and, from the accounting, OpenAI's `x-ratelimit-*` headers.
 */
export function renderOpenAiError(c: Context<AppEnv>, error: ApiError): Response {
  const details = error.details as Details;
  const single = Array.isArray(details) ? undefined : details;
  let [type, code] = typeAndCode[error.code];
  if (error.code === "RATE_LIMITED") {
    const limit = single?.limit;
    if (typeof limit === "string" && quotaLimits.has(limit)) [type, code] = ["insufficient_quota", "insufficient_quota"];
    else if (limit === "tpm") type = "tokens";
  }
  code = typeof single?.code === "string" ? single.code : (gatewayCodes[error.status] ?? code);
  const param = Array.isArray(details) ? (details[0]?.path ?? null) : typeof single?.param === "string" ? single.param : null;
  if (error.retryAfter !== undefined) c.header("Retry-After", String(Math.max(1, Math.ceil(error.retryAfter))));
  if (single?.headers && typeof single.headers === "object") {
    for (const [name, value] of Object.entries(single.headers)) if (typeof value === "string") c.header(name, value);
  }
  const status = (error.code === "VALIDATION_FAILED" ? 400 : error.status) as ContentfulStatusCode;
  return c.json({ error: { message: error.message, type, param: param === "" ? null : param, code }, requestId: c.get("requestId") ?? "" }, status);
}
