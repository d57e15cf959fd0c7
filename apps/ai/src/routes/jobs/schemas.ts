import { z } from "@hono/zod-openapi";
import type { jobs } from "@lodge/db/schema";
import type { Caller } from "../../helpers/calls";

/** The caller each request of the group was authenticated as (set by the group's middleware). */
export type CallerOf = (c: { req: { raw: Request } }) => Caller;

export const JobId = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: "01964d2c-8f2a-7c3e-9d1b-2a4f6e8c0b13" }) });

const model = z.string().min(1).max(256).openapi({ description: "A model alias of GET /ai/v1/models" });

/** A chat request as POST /ai/v1/chat/completions takes it (fields Lodge does not know pass through); not streamed. */
const ChatRequest = z
  .looseObject({
    model,
    messages: z
      .array(z.looseObject({ role: z.string().min(1).max(64) }))
      .min(1)
      .max(1000),
    stream: z.literal(false).optional().openapi({ description: "A job's answer is stored whole: a stream cannot be asked for" }),
  })
  .openapi("JobChatRequest");

/** An images request as POST /ai/v1/images/generations takes it. */
const ImageRequest = z
  .looseObject({
    model,
    prompt: z.string().min(1).max(32_000),
    n: z.number().int().min(1).max(10).optional(),
  })
  .openapi("JobImageRequest");

export const NewJob = z
  .discriminatedUnion("kind", [
    z.object({ kind: z.literal("chat"), request: ChatRequest }).strict(),
    z.object({ kind: z.literal("image"), request: ImageRequest }).strict(),
  ])
  .openapi("NewJob", { description: "The request is validated as the /ai/v1 body it stands for; the whole body is held to the service's body limit" });

export const Job = z
  .object({
    id: z.uuid(),
    kind: z.enum(["chat", "image"]),
    status: z.enum(["queued", "running", "succeeded", "failed", "cancelled"]),
    result: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: "The answer as /ai/v1 gives it; an image job's `data` lists `{ fileId, url }` of the images stored as your files" }),
    error: z
      .object({ code: z.string(), message: z.string(), details: z.unknown().optional() })
      .nullable()
      .openapi({ description: "Why it failed (or, while queued again, why the last attempt did)" }),
    attempts: z.number().int(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .openapi("Job");

/** A job as the API shows it. */
export function jobView(row: typeof jobs.$inferSelect) {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    result: (row.result as Record<string, unknown> | null) ?? null,
    error: (row.error as { code: string; message: string; details?: unknown } | null) ?? null,
    attempts: row.attempts,
    createdAt: row.createdAt.toISOString(),
    startedAt: row.startedAt?.toISOString() ?? null,
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}
