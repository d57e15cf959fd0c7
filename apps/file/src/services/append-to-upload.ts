import { uploads } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { concatObjects, deletePrefix } from "../helpers/storage/index";
import { lockUpload } from "../helpers/upload-lock";
import { metadataOf, removeUpload, type UploadRow } from "../helpers/uploads";
import { findUpload } from "./find-upload";
import { ingestFile } from "./ingest-file";

const MAX_PARTS = 10_000;

/** A fresh key per attempt, so a PATCH that lost a race can never overwrite a recorded part. */
const partKey = (upload: UploadRow) => `${upload.storageKey}${String(upload.offset).padStart(15, "0")}-${crypto.randomUUID().slice(0, 8)}`;

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
    const upload = await findUpload({ ctx, input: { id: input.id, ownerId: input.ownerId } });
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
