import type { Tx } from "@lodge/db";
import { files } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { uuidv7 } from "uuidv7";
import type { Ctx } from "../deps";
import { imageStreamCheck, inspectImage } from "../helpers/inspect";
import { defaultName } from "../helpers/names";
import { checkQuota, lockOwner, quotaExceeded, usedBytes } from "../helpers/quota";
import { declaredType, htmlMarkup, isRasterImage, markupScanner, reconcile, SNIFF_BYTES, type Sniffed, sniff } from "../helpers/sniff";
import { fileKey } from "../helpers/storage/keys";
import type { FileRow } from "../helpers/views";

/** Bytes kept from the start of an image for sharp to read its header without fetching it back. */
const PROBE_BYTES = 256 * 1024;

export type IngestInput = {
  ownerId: string;
  /** Already checked with checkFileName; undefined gives a default from the sniffed type. */
  name?: string;
  /** The client's Content-Type for the bytes (only used to catch a lie). */
  declared?: string | null;
  body: ReadableStream<Uint8Array>;
  /** Content-Length or Upload-Length, when known: over the limit is refused before reading. */
  expectedLength?: number;
  /** Quota already reserved for these bytes (a tus upload's announced length). */
  reservedBytes?: number;
  /** Runs inside the transaction that creates the row (tus marks its upload complete). */
  onCommit?: (tx: Tx, row: FileRow) => Promise<void>;
};

/**
 * The one way bytes become a file, for POST /files and completed tus uploads alike: the content
 * type is sniffed from the first bytes and checked against the allow-list and the client's claim
 * before anything is stored; the rest streams to storage while it is counted (413 past the limit)
 * and hashed; images are inspected (pixel limit, polyglots); then the row and `file.uploaded` are
 * written in one transaction under the owner's quota. Any failure leaves no object and no row.
 */
export async function ingestFile({ ctx, input }: { ctx: Ctx; input: IngestInput }): Promise<FileRow> {
  const { config, storage } = ctx.deps;
  const max = config.maxSizeBytes;
  const tooLarge = () => new ApiError({ code: "PAYLOAD_TOO_LARGE", message: `The file is larger than ${max} bytes` });
  const reader = input.body.getReader();
  const release = () => reader.cancel().catch(() => {});

  let sourceFailed = false;
  const read = async () => {
    try {
      return await reader.read();
    } catch (error) {
      sourceFailed = true;
      if (error instanceof ApiError) throw error;
      throw new ApiError({ code: "VALIDATION_FAILED", status: 400, message: "The upload was interrupted before its end" });
    }
  };

  const pending: Uint8Array[] = [];
  let headLength = 0;
  let done = false;
  try {
    if (input.expectedLength !== undefined && input.expectedLength > max) throw tooLarge();
    if (input.expectedLength !== undefined && !input.reservedBytes) await checkQuota(ctx, input.ownerId, input.expectedLength);
    while (headLength < SNIFF_BYTES) {
      const { done: ended, value } = await read();
      if (ended) {
        done = true;
        break;
      }
      pending.push(value);
      headLength += value.length;
    }
  } catch (error) {
    await release();
    throw error;
  }
  if (headLength === 0) throw new ApiError({ code: "VALIDATION_FAILED", message: "The file is empty", details: [{ path: "file", message: "empty" }] });
  const head = Buffer.concat(pending);
  let sniffed = await sniff(head.subarray(0, SNIFF_BYTES), done);
  const declared = declaredType(input.declared);
  let contentType: string;
  try {
    contentType = acceptedType(config.allowedTypes, sniffed, declared);
  } catch (error) {
    await release();
    throw error;
  }
  // Text is classified by its head; markup further in makes it a web page all the same (415 unless HTML is accepted).
  let textScan = sniffed?.contentType === "text/plain" ? markupScanner(htmlMarkup, "<script/".length, "<") : undefined;

  const image = isRasterImage(contentType);
  // Polyglots are refused as their bytes arrive, before the rest is stored.
  const imageCheck = image ? imageStreamCheck(contentType) : undefined;
  const hasher = new Bun.CryptoHasher("sha256");
  const probeChunks: Uint8Array[] = [];
  let probeLength = 0;
  let size = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let chunk = pending.shift();
        if (!chunk) {
          if (!done) {
            const next = await read();
            if (next.done) done = true;
            else chunk = next.value;
          }
          if (!chunk) {
            imageCheck?.finish();
            return controller.close();
          }
        }
        size += chunk.length;
        if (size > max) throw tooLarge();
        hasher.update(chunk);
        if (textScan?.(chunk)) {
          textScan = undefined;
          sniffed = { contentType: "text/html", extension: "html" };
          contentType = acceptedType(config.allowedTypes, sniffed, declared);
        }
        if (imageCheck) {
          imageCheck.push(chunk);
          if (probeLength < PROBE_BYTES) {
            probeChunks.push(chunk.subarray(0, PROBE_BYTES - probeLength));
            probeLength += Math.min(chunk.length, PROBE_BYTES - probeLength);
          }
        }
        controller.enqueue(chunk);
      },
      cancel: release,
    },
    { highWaterMark: 0 },
  );

  const fileId = uuidv7();
  const key = fileKey(input.ownerId, fileId);
  try {
    await storage.write(key, stream);
  } catch (error) {
    await release();
    await storage.delete(key).catch(() => {});
    if (error instanceof ApiError) throw error;
    if (sourceFailed) throw new ApiError({ code: "VALIDATION_FAILED", status: 400, message: "The upload was interrupted before its end" });
    ctx.logger.error({ err: error }, "storage write failed");
    throw new ApiError({ code: "UNAVAILABLE", message: "File storage is unavailable, try again shortly", retryAfter: 5 });
  }

  try {
    const dimensions = image
      ? await inspectImage({
          contentType,
          probe: Buffer.concat(probeChunks),
          complete: size <= PROBE_BYTES,
          maxPixels: config.maxImagePixels,
          load: async () => storage.localPath?.(key) ?? Buffer.from(await storage.bytes(key)),
        })
      : undefined;
    const row = await ctx.deps.outbox.transaction(async (tx) => {
      await lockOwner(tx, input.ownerId);
      const used = (await usedBytes(tx, input.ownerId)) - (input.reservedBytes ?? 0);
      if (used + size > config.quotaBytes) throw quotaExceeded(ctx, used, size);
      const [created] = await tx
        .insert(files)
        .values({
          id: fileId,
          ownerId: input.ownerId,
          name: input.name ?? defaultName(sniffed?.extension),
          size,
          contentType,
          sha256: hasher.digest("hex"),
          storageKey: key,
          width: dimensions?.width ?? null,
          height: dimensions?.height ?? null,
          createdAt: ctx.deps.clock(),
        })
        .returning();
      const row = created as FileRow;
      await ctx.deps.outbox.enqueue(
        tx,
        "file.uploaded",
        { fileId, ownerId: row.ownerId, name: row.name, contentType, size, sha256: row.sha256 },
        ctx.requestId,
      );
      await input.onCommit?.(tx, row);
      return row;
    });
    ctx.deps.caches.files.set(row);
    return row;
  } catch (error) {
    await storage.delete(key).catch(() => {});
    throw error;
  }
}

/** The type a file is stored with, from what its bytes are and what the client declared; 415 when not allowed or contradicted. */
function acceptedType(allowedTypes: Set<string>, sniffed: Sniffed | undefined, declared: string | undefined): string {
  const contentType = sniffed && allowedTypes.has(sniffed.contentType) ? reconcile(sniffed, declared) : undefined;
  if (sniffed && contentType && allowedTypes.has(contentType)) return contentType;
  const message = !sniffed
    ? "The content type could not be recognised from the bytes"
    : !allowedTypes.has(sniffed.contentType)
      ? `Files of type ${sniffed.contentType} are not accepted`
      : `The content is ${sniffed.contentType}, not the declared ${declared}`;
  throw new ApiError({ code: "UNSUPPORTED_MEDIA_TYPE", message });
}
