import type { Tx } from "@lodge/db";
import { files, uploads } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Bytes a user holds: stored files plus the announced length of resumable uploads still in progress. */
export async function usedBytes(db: Ctx["deps"]["db"] | Tx, ownerId: string): Promise<number> {
  const [stored] = await db
    .select({ bytes: sql<string>`coalesce(sum(${files.size}), 0)` })
    .from(files)
    .where(eq(files.ownerId, ownerId));
  const [pending] = await db
    .select({ bytes: sql<string>`coalesce(sum(${uploads.length}), 0)` })
    .from(uploads)
    .where(and(eq(uploads.ownerId, ownerId), isNull(sql`${uploads.metadata}->>'fileId'`)));
  return Number(stored?.bytes ?? 0) + Number(pending?.bytes ?? 0);
}

/** One writer per user at a time for the quota check (the lock ends with the transaction). */
export async function lockOwner(tx: Tx, ownerId: string) {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${ownerId}, 4242))`);
}

export function quotaExceeded(ctx: Ctx, used: number, adding: number) {
  const quota = ctx.deps.config.quotaBytes;
  return new ApiError({
    code: "PAYLOAD_TOO_LARGE",
    message: `Storage quota exceeded: ${used} of ${quota} bytes used, this file needs ${adding}`,
    details: [{ path: "quota", message: `${quota - used} bytes left` }],
  });
}

/** Throws 413 when `adding` more bytes would take the user over the quota. */
export async function checkQuota(ctx: Ctx, ownerId: string, adding: number, excludingUpload = 0) {
  const used = (await usedBytes(ctx.deps.db, ownerId)) - excludingUpload;
  if (used + adding > ctx.deps.config.quotaBytes) throw quotaExceeded(ctx, used, adding);
}
