import { uploads } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq, lt, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { concatObjects, deletePrefix } from "../helpers/storage/index";
import { lockUpload, tryLockUpload } from "../helpers/upload-lock";
import { ingestFile } from "./ingest-file";

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

export const metadataOf = (upload: UploadRow) => upload.metadata as UploadMetadata;
/** A fresh key per attempt, so a PATCH that lost a race can never overwrite a recorded part. */
const partKey = (upload: UploadRow) => `${upload.storageKey}${String(upload.offset).padStart(15, "0")}-${crypto.randomUUID().slice(0, 8)}`;
const notFound = () => new ApiError({ code: "NOT_FOUND", message: "No such upload" });

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
  const release = await lockUpload(ctx, input.id);
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
    // The row may be gone (erasure does not wait for the lock): a part no row records is removed at once, not left for the sweeper.
    const [updated] = await ctx.deps.db
      .update(uploads)
      .set({
        offset,
        metadata: { ...metadata, parts },
        expiresAt: new Date(ctx.deps.clock().getTime() + ctx.deps.config.uploadExpiryMs),
      })
      .where(and(eq(uploads.id, upload.id), eq(uploads.offset, upload.offset)))
      .returning()
      .catch(async (error) => {
        if (written > 0) await ctx.deps.storage.delete(key).catch(() => {});
        throw error;
      });
    if (!updated) {
      if (written > 0) await ctx.deps.storage.delete(key).catch((error) => ctx.logger.warn({ err: error }, "could not remove an unrecorded part"));
      throw new ApiError({ code: "CONFLICT", message: "The upload changed meanwhile; ask for its offset again" });
    }
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

/** tus termination: waits for a PATCH still writing (its part is recorded, then removed here with the rest). */
export async function terminateUpload({ ctx, input }: { ctx: Ctx; input: { id: string; ownerId: string } }) {
  await findUpload(ctx, input.id, input.ownerId);
  const release = await lockUpload(ctx, input.id, ctx.deps.config.uploadLockWaitMs);
  try {
    await removeUpload(ctx, await findUpload(ctx, input.id, input.ownerId));
  } finally {
    await release();
  }
}

/** The parts, then the row (the caller holds the upload's lock). */
export async function removeUpload(ctx: Ctx, upload: Pick<UploadRow, "id" | "storageKey">) {
  await deletePrefix(ctx.deps.storage, upload.storageKey);
  await ctx.deps.db.delete(uploads).where(eq(uploads.id, upload.id));
}

/** The cleanup job: uploads past their expiry (abandoned, or completed long enough ago) leave storage and Postgres; one still being written waits for the next run. */
export async function expireUploads({ ctx }: { ctx: Ctx }) {
  const expired = await ctx.deps.db
    .select({ id: uploads.id, storageKey: uploads.storageKey })
    .from(uploads)
    .where(lt(uploads.expiresAt, ctx.deps.clock()))
    .limit(1000);
  let removed = 0;
  for (const upload of expired) {
    const release = await tryLockUpload(ctx, upload.id);
    if (!release) continue;
    try {
      await removeUpload(ctx, upload);
      removed += 1;
    } finally {
      await release();
    }
  }
  return removed;
}
