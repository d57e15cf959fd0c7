import { uploads } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq, lt, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { concatObjects, deletePrefix } from "../storage/index";
import { ingestFile } from "./ingest-file";
import { checkFileName } from "./names";
import { lockOwner, quotaExceeded, usedBytes } from "./quota";

export type UploadRow = typeof uploads.$inferSelect;
export type UploadMetadata = {
  name?: string;
  type?: string;
  /** The Upload-Metadata header as the client sent it (echoed on HEAD). */
  raw?: string;
  /** Each PATCH's bytes are one stored part, in order. */
  parts?: { key: string; offset: number; size: number }[];
  /** Set when the last byte arrived and the file was created. */
  fileId?: string;
};

const MAX_PARTS = 10_000;
const LOCK_MS = 60_000;

export const metadataOf = (upload: UploadRow) => upload.metadata as UploadMetadata;
/** A fresh key per attempt, so a PATCH that lost a race can never overwrite a recorded part. */
const partKey = (upload: UploadRow) => `${upload.storageKey}${String(upload.offset).padStart(15, "0")}-${crypto.randomUUID().slice(0, 8)}`;
const notFound = () => new ApiError({ code: "NOT_FOUND", message: "No such upload" });

/** tus creation: reserves `length` bytes of the user's quota until the upload completes or expires. */
export async function createUpload({ ctx, input }: { ctx: Ctx; input: { ownerId: string; length: number; metadata: Record<string, string>; raw?: string } }) {
  const { config, clock } = ctx.deps;
  if (input.length > config.maxSizeBytes) throw new ApiError({ code: "PAYLOAD_TOO_LARGE", message: `The file is larger than ${config.maxSizeBytes} bytes` });
  const name = input.metadata.filename ?? input.metadata.name;
  if (name !== undefined) checkFileName(name, "file");
  const metadata: UploadMetadata = { name, type: input.metadata.filetype ?? input.metadata.type, raw: input.raw, parts: [] };
  return ctx.deps.outbox.transaction(async (tx) => {
    await lockOwner(tx, input.ownerId);
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
        storageKey: `uploads/${id}/`,
        createdAt: clock(),
        expiresAt: new Date(clock().getTime() + config.uploadExpiryMs),
      })
      .returning();
    return row as UploadRow;
  });
}

/** The user's upload, unless it has expired (then it is as good as gone). */
export async function findUpload(ctx: Ctx, id: string, ownerId: string): Promise<UploadRow> {
  const [row] = await ctx.deps.db
    .select()
    .from(uploads)
    .where(and(eq(uploads.id, id), eq(uploads.ownerId, ownerId)))
    .limit(1);
  if (!row || row.expiresAt.getTime() <= ctx.deps.clock().getTime()) throw notFound();
  return row;
}

/**
 * tus PATCH: appends the body at `offset` as one stored part. A connection that breaks keeps what
 * arrived (the client resumes from the offset a HEAD reports). The last byte turns the upload
 * into a file through the same path as POST /files; if that refuses it, the upload is removed.
 */
export async function appendToUpload({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { id: string; ownerId: string; offset: number; body: ReadableStream<Uint8Array> | null; contentLength?: number };
}) {
  const release = await lock(ctx, input.id);
  try {
    const upload = await findUpload(ctx, input.id, input.ownerId);
    const metadata = metadataOf(upload);
    if (input.offset !== upload.offset) {
      throw new ApiError({ code: "CONFLICT", message: `Upload-Offset is ${upload.offset}`, details: [{ path: "Upload-Offset", message: "mismatch" }] });
    }
    if (metadata.fileId) return { upload, fileId: metadata.fileId };
    const remaining = upload.length - upload.offset;
    if (input.contentLength !== undefined && input.contentLength > remaining) {
      throw new ApiError({ code: "PAYLOAD_TOO_LARGE", message: `The body goes past Upload-Length (${remaining} bytes remain)` });
    }
    if ((metadata.parts?.length ?? 0) >= MAX_PARTS)
      throw new ApiError({ code: "PAYLOAD_TOO_LARGE", message: `An upload takes at most ${MAX_PARTS} PATCH requests` });
    const key = partKey(upload);
    let written = 0;
    if (input.body && remaining > 0) written = await writePart(ctx, key, input.body, remaining);
    const offset = upload.offset + written;
    const parts = written > 0 ? [...(metadata.parts ?? []), { key, offset: upload.offset, size: written }] : (metadata.parts ?? []);
    const [updated] = await ctx.deps.db
      .update(uploads)
      .set({
        offset,
        metadata: { ...metadata, parts },
        expiresAt: new Date(ctx.deps.clock().getTime() + ctx.deps.config.uploadExpiryMs),
      })
      .where(and(eq(uploads.id, upload.id), eq(uploads.offset, upload.offset)))
      .returning();
    if (!updated) throw new ApiError({ code: "CONFLICT", message: "The upload changed meanwhile; ask for its offset again" });
    if (offset < upload.length) return { upload: updated };
    return { upload: updated, fileId: await complete(ctx, updated) };
  } finally {
    await release();
  }
}

/** Streams one PATCH body into a part; stops with 413 past the upload's length; keeps what arrived if the client went away. */
async function writePart(ctx: Ctx, key: string, body: ReadableStream<Uint8Array>, remaining: number) {
  const reader = body.getReader();
  let received = 0;
  let overflow = false;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let next: Awaited<ReturnType<typeof reader.read>>;
        try {
          next = await reader.read();
        } catch {
          return controller.close(); // the connection broke: what arrived so far is kept
        }
        if (next.done) return controller.close();
        received += next.value.length;
        if (received > remaining) {
          overflow = true;
          throw new ApiError({ code: "PAYLOAD_TOO_LARGE", message: `The body goes past Upload-Length (${remaining} bytes remained)` });
        }
        controller.enqueue(next.value);
      },
      cancel: () => reader.cancel().catch(() => {}),
    },
    { highWaterMark: 0 },
  );
  try {
    return await ctx.deps.storage.write(key, stream);
  } catch (error) {
    await reader.cancel().catch(() => {});
    await ctx.deps.storage.delete(key).catch(() => {});
    if (overflow || error instanceof ApiError) throw error;
    ctx.logger.error({ err: error }, "storage write failed");
    throw new ApiError({ code: "UNAVAILABLE", message: "File storage is unavailable, try again shortly", retryAfter: 5 });
  }
}

async function complete(ctx: Ctx, upload: UploadRow): Promise<string> {
  const metadata = metadataOf(upload);
  const keys = (metadata.parts ?? []).map((part) => part.key);
  try {
    const file = await ingestFile({
      ctx,
      input: {
        ownerId: upload.ownerId,
        name: metadata.name,
        declared: metadata.type,
        body: concatObjects(ctx.deps.storage, keys),
        expectedLength: upload.length,
        reservedBytes: upload.length,
        onCommit: async (tx, row) => {
          await tx
            .update(uploads)
            .set({ metadata: sql`${uploads.metadata} || ${JSON.stringify({ fileId: row.id, parts: [] })}::jsonb` })
            .where(eq(uploads.id, upload.id));
        },
      },
    });
    await deletePrefix(ctx.deps.storage, upload.storageKey).catch((error) => ctx.logger.warn({ err: error }, "could not remove upload parts"));
    return file.id;
  } catch (error) {
    // Refused (type, quota, pixels...): the upload can never succeed, so nothing of it is kept.
    if (error instanceof ApiError && error.status < 500) await removeUpload(ctx, upload);
    throw error;
  }
}

/** tus termination, and expiry: the parts, then the row. */
export async function removeUpload(ctx: Ctx, upload: Pick<UploadRow, "id" | "storageKey">) {
  await deletePrefix(ctx.deps.storage, upload.storageKey);
  await ctx.deps.db.delete(uploads).where(eq(uploads.id, upload.id));
}

/** The cleanup job: uploads past their expiry (abandoned, or completed long enough ago) leave storage and Postgres. */
export async function expireUploads({ ctx }: { ctx: Ctx }) {
  const expired = await ctx.deps.db
    .select({ id: uploads.id, storageKey: uploads.storageKey })
    .from(uploads)
    .where(lt(uploads.expiresAt, ctx.deps.clock()))
    .limit(1000);
  for (const upload of expired) await removeUpload(ctx, upload);
  return expired.length;
}

/** One writer per upload across instances; refreshed while a long PATCH streams. */
async function lock(ctx: Ctx, id: string): Promise<() => Promise<void>> {
  const key = `${ctx.deps.redisPrefix}file:upload-lock:${id}`;
  const token = crypto.randomUUID();
  const acquired = await ctx.deps.redis.set(key, token, "PX", LOCK_MS, "NX");
  if (acquired !== "OK") throw new ApiError({ code: "CONFLICT", message: "Another request is writing to this upload" });
  const refresh = setInterval(() => void ctx.deps.redis.pexpire(key, LOCK_MS).catch(() => {}), LOCK_MS / 3);
  return async () => {
    clearInterval(refresh);
    await ctx.deps.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, key, token).catch(() => {});
  };
}
