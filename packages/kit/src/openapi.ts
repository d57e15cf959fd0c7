import { z } from "@hono/zod-openapi";
import { type ErrorCode, errorStatus } from "./errors";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      requestId: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

const descriptions: Record<number, string> = {
  400: "Unreadable body (malformed JSON)",
  401: "Missing, invalid or revoked credentials",
  403: "Not allowed",
  404: "Not found",
  409: "Conflict",
  410: "Gone",
  412: "Precondition failed",
  413: "Body too large",
  415: "Unsupported content type",
  416: "Range not satisfiable",
  422: "Validation failed",
  429: "Rate limited (see Retry-After)",
  503: "A dependency is unavailable (see Retry-After)",
};

/** Declares error responses (in the one error shape) for a route's OpenAPI document. */
export function errorResponses(...statuses: (keyof typeof descriptions)[]) {
  const all = [...new Set<number>([...statuses, 400, 413, 415, 422, 503])].sort();
  return Object.fromEntries(
    all.map((status) => [status, { description: descriptions[status] ?? "Error", content: { "application/json": { schema: ErrorSchema } } }]),
  );
}

/** The query of a page of a list, newest first (`nextCursor` in the answer leads to the next); extend it with a route's filters. */
export const PageQuery = z.object({
  cursor: z.uuid().optional().openapi({ description: "`nextCursor` of the previous page" }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/**
 * The `X-Lodge-User` header of a route a service client holding `scope` may call for a user
 * (`actingUserOf`): declared so the document says so and a malformed one is refused like any input.
 */
export function actingUserHeaders(scope: string) {
  const description = `The user a service client holding \`${scope}\` acts for (their limits and permissions apply). A user's own token may leave it out or name only its own user.`;
  return z.object({ "x-lodge-user": z.uuid().optional().openapi({ description }) });
}

/** A required JSON request body. */
export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { required: true, description, content: { "application/json": { schema } } } as const;
}

/** A JSON response. */
export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } } as const;
}
