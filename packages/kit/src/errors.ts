import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { AppEnv } from "./types";

/** The fixed set of error codes, each with its usual status (VALIDATION_FAILED is 400 for an unreadable body). */
export const errorStatus = {
  VALIDATION_FAILED: 422,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof errorStatus;

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: ContentfulStatusCode;
  readonly details?: unknown;
  /** Seconds, sent as Retry-After (429 and 503). */
  readonly retryAfter?: number;

  constructor(options: { code: ErrorCode; message: string; details?: unknown; retryAfter?: number; status?: ContentfulStatusCode }) {
    super(options.message);
    this.name = "ApiError";
    this.code = options.code;
    this.status = options.status ?? errorStatus[options.code];
    this.details = options.details;
    this.retryAfter = options.retryAfter;
  }
}

export type ErrorBody = { error: { code: ErrorCode; message: string; requestId: string; details?: unknown } };

export function renderError(c: Context<AppEnv>, error: ApiError): Response {
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      requestId: c.get("requestId") ?? "",
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
  if (error.retryAfter !== undefined) c.header("Retry-After", String(Math.max(1, Math.ceil(error.retryAfter))));
  return c.json(body, error.status);
}

const httpExceptionCodes: Partial<Record<number, ErrorCode>> = {
  400: "VALIDATION_FAILED",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  413: "PAYLOAD_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
};

/** Turns anything thrown into an ApiError; unknown errors become INTERNAL with no details. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    const code = httpExceptionCodes[error.status] ?? (error.status >= 500 ? "INTERNAL" : "VALIDATION_FAILED");
    return new ApiError({ code, message: error.message || code, status: error.status as ContentfulStatusCode });
  }
  if (isRejectedData(error)) return new ApiError({ code: "VALIDATION_FAILED", message: "The input contains characters or values that cannot be stored" });
  if (isUnavailable(error)) return new ApiError({ code: "UNAVAILABLE", message: "A dependency is unavailable, try again shortly", retryAfter: 5 });
  return new ApiError({ code: "INTERNAL", message: "Internal error" });
}

/**
 * Whether `error` or an error in its `cause` chain matches: drivers and libraries wrap the error
 * that says what happened (a Postgres code, a refused connection) in their own. A chain that loops
 * ends the walk.
 */
export function causedBy(error: unknown, matches: (cause: { code?: unknown; message?: unknown }) => boolean): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current && typeof current === "object" && !seen.has(current); current = (current as { cause?: unknown }).cause) {
    seen.add(current);
    if (matches(current as { code?: unknown; message?: unknown })) return true;
  }
  return false;
}

/**
 * A safety net behind validation: Postgres refused the data itself (class 22, e.g. a NUL byte in
 * text), so the statement wrote nothing. A batch of requests' rows refused so is retried one
 * request at a time, so that only the bad one fails.
 */
export function isRejectedData(error: unknown): boolean {
  return causedBy(error, ({ code }) => typeof code === "string" && /^22[0-9A-Z]{3}$/.test(code));
}

const unavailableCodes = /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|CONNECTION_|CONNECT_TIMEOUT|57P0|08)/;
const unavailableMessages =
  /Connection is closed|connect ECONNREFUSED|Stream isn't writeable|max retries per request|write CONNECTION_CLOSED|^Command timed out$|^Socket timeout\. /i;

/** Connection-level failures of Postgres or Redis, and a Redis command that got no reply in time: answered 503, never 500. */
function isUnavailable(error: unknown): boolean {
  return causedBy(
    error,
    ({ code, message }) => (typeof code === "string" && unavailableCodes.test(code)) || (typeof message === "string" && unavailableMessages.test(message)),
  );
}

/** zod issues rendered as details: where, and what was wrong. Never echoes the input. */
export function issuesToDetails(issues: readonly { path: readonly PropertyKey[]; message: string; code?: string }[]) {
  return issues.map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}
