import { uploads } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, count, eq, isNull, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { checkFileName } from "../helpers/names";
import { lockOwner, quotaExceeded, usedBytes } from "../helpers/quota";
import { uploadPrefix } from "../helpers/storage/keys";
import type { UploadMetadata, UploadRow } from "../helpers/uploads";

/**
 * tus creation: reserves `length` bytes of the user's quota until the upload completes or expires.
 * Creations are rate-limited per user and a user holds at most `maxOpenUploads` unfinished ones, so
 * tiny uploads cannot bloat the table (the quota already counts every open upload's length).
 */
export async function createUpload({ ctx, input }: { ctx: Ctx; input: { ownerId: string; length: number; metadata: Record<string, string>; raw?: string } }) {
  const { config, clock, limiter } = ctx.deps;
  if (input.length > config.maxSizeBytes) throw new ApiError({ code: "PAYLOAD_TOO_LARGE", message: `The file is larger than ${config.maxSizeBytes} bytes` });
  const name = input.metadata.filename ?? input.metadata.name;
  if (name !== undefined) checkFileName(name, "file");
  await limiter.hit(`file:upload-create:${input.ownerId}`, config.uploadCreateLimit);
  const metadata: UploadMetadata = { name, type: input.metadata.filetype ?? input.metadata.type, raw: input.raw, parts: [] };
  return ctx.deps.outbox.transaction(async (tx) => {
    await lockOwner(tx, input.ownerId);
    const [open] = await tx
      .select({ n: count() })
      .from(uploads)
      .where(and(eq(uploads.ownerId, input.ownerId), isNull(sql`${uploads.metadata}->>'fileId'`)));
    if ((open?.n ?? 0) >= config.maxOpenUploads) {
      throw new ApiError({
        code: "RATE_LIMITED",
        message: `${config.maxOpenUploads} uploads are in progress: finish or terminate one first`,
        retryAfter: config.uploadCreateLimit.windowSeconds,
      });
    }
    const used = await usedBytes(tx, input.ownerId);
    if (used + input.length > config.quotaBytes) throw quotaExceeded(ctx, used, input.length);
    const id = Bun.randomUUIDv7();
    const [row] = await tx
      .insert(uploads)
      .values({
        id,
        ownerId: input.ownerId,
        length: input.length,
        offset: 0,
        metadata,
        storageKey: uploadPrefix(input.ownerId, id),
        createdAt: clock(),
        expiresAt: new Date(clock().getTime() + config.uploadExpiryMs),
      })
      .returning();
    return row as UploadRow;
  });
}
