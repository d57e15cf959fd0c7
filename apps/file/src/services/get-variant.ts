import { queryRows } from "@lodge/db";
import { variants } from "@lodge/db/schema";
import { ApiError, causedBy } from "@lodge/kit";
import { and, eq, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import type { CachedVariant } from "../helpers/caches";
import type { Rendered } from "../helpers/render-gate";
import { renderVariant } from "../helpers/rendering";
import { isRasterImage } from "../helpers/sniff";
import { variantKey } from "../helpers/storage/keys";
import type { Variant } from "../helpers/variant-params";
import type { FileRow } from "../helpers/views";

const contentTypes = { webp: "image/webp", avif: "image/avif", jpeg: "image/jpeg", png: "image/png" } as const;

/**
 * The variant's bytes or storage key: from memory, from a stored rendering, or rendered now by
 * sharp (auto-oriented, metadata stripped, input pixels bounded). A fresh rendering is answered at
 * once and stored behind the answer (object, then row), so each variant is rendered once.
 * Only a rendering costs: for a client's request (`clientIp`) it counts against the per-client and
 * per-file limits (429), and every rendering waits for a slot of the render gate (503 when full).
 * With `onlyPresets`, a variant that is not a preset is refused before anything is looked up.
 */
export async function getVariant({ ctx, input }: { ctx: Ctx; input: { file: FileRow; variant: Variant; clientIp?: string } }): Promise<Rendered> {
  const { file, variant } = input;
  const { config, caches, renders } = ctx.deps;
  if (!isRasterImage(file.contentType)) throw new ApiError({ code: "VALIDATION_FAILED", message: "Variants exist only for images" });
  if (config.onlyPresets && !config.variantPresets.some((preset) => preset.key === variant.key)) {
    throw new ApiError({
      code: "VALIDATION_FAILED",
      message: "Only the configured presets can be asked for",
      details: [{ path: "query", message: "not a preset" }],
    });
  }
  const cached = caches.variants.get(file.id, variant.key);
  if (cached) return cached;
  const flightKey = `${file.id}|${variant.key}`;
  const { inflight } = renders;
  let flight = inflight.get(flightKey);
  if (!flight) {
    flight = loadOrRender(ctx, file, variant, input.clientIp);
    inflight.set(flightKey, flight);
    // Requests for the same variant share this one rendering until it is stored.
    void flight
      .then((rendered) => rendered.persisted)
      .catch(() => {})
      .finally(() => inflight.delete(flightKey));
  }
  return flight;
}

async function loadOrRender(ctx: Ctx, file: FileRow, variant: Variant, clientIp: string | undefined): Promise<Rendered> {
  const { db, storage, caches, limiter, renders, config } = ctx.deps;
  const [stored] = await db
    .select()
    .from(variants)
    .where(and(eq(variants.fileId, file.id), eq(variants.key, variant.key)))
    .limit(1);
  if (stored) {
    const entry: CachedVariant = { storageKey: stored.storageKey, contentType: stored.contentType, size: stored.size };
    if (stored.size <= 512 * 1024) entry.bytes = await storage.bytes(stored.storageKey);
    caches.variants.set(file.id, variant.key, entry);
    return entry;
  }
  if (clientIp !== undefined) {
    try {
      await limiter.hitAll([
        [`file-render:ip:${limiter.client(clientIp)}`, config.renders.perClient],
        [`file-render:file:${file.id}`, config.renders.perFile],
      ]);
    } catch (error) {
      if (error instanceof ApiError && error.code === "RATE_LIMITED") renders.rateLimited();
      throw error;
    }
  }
  const bytes = await renders.run(() => render(ctx, file, variant));
  const entry: CachedVariant = {
    storageKey: variantKey(file.ownerId, file.id, variant.key),
    contentType: contentTypes[variant.format],
    size: bytes.length,
    bytes,
  };
  const persisted = persist(ctx, file, variant, entry, bytes).catch((error) => {
    ctx.logger.warn({ err: error, fileId: file.id, variant: variant.key }, "storing a variant failed; it will be rendered again");
  });
  return { ...entry, persisted };
}

/** Stores a fresh rendering: the object, then its row, within the per-file cap; leaves no object without a row. */
async function persist(ctx: Ctx, file: FileRow, variant: Variant, entry: CachedVariant, bytes: Uint8Array) {
  const { db, storage, caches, config } = ctx.deps;
  await storage.write(entry.storageKey, bytes);
  let inserted: unknown[];
  try {
    inserted = await queryRows(
      db,
      sql`
      insert into ${variants} (file_id, key, storage_key, content_type, size, created_at)
      select ${file.id}::uuid, ${variant.key}::text, ${entry.storageKey}::text, ${entry.contentType}::text, ${bytes.length}::bigint, ${ctx.deps.clock().toISOString()}::timestamptz
      where (select count(*) from ${variants} where file_id = ${file.id}::uuid) < ${config.maxVariantsPerFile}::int
      on conflict do nothing
      returning file_id`,
    );
  } catch (error) {
    // The file was deleted while this rendered (the foreign key refuses the row): leave nothing behind.
    await storage.delete(entry.storageKey).catch(() => {});
    if (causedBy(error, ({ code }) => code === "23503")) return;
    throw error;
  }
  if (inserted.length > 0) {
    caches.variants.set(file.id, variant.key, entry);
    return;
  }
  // Not inserted: another instance stored the same rendering (same key, keep it), or the file has its cap of variants.
  const [same] = await db
    .select({ key: variants.key })
    .from(variants)
    .where(and(eq(variants.fileId, file.id), eq(variants.key, variant.key)))
    .limit(1);
  if (same) caches.variants.set(file.id, variant.key, entry);
  else await storage.delete(entry.storageKey);
}

async function render(ctx: Ctx, file: FileRow, variant: Variant): Promise<Buffer> {
  const { storage, config } = ctx.deps;
  const input = storage.localPath?.(file.storageKey) ?? Buffer.from(await storage.bytes(file.storageKey));
  try {
    const started = performance.now();
    const rendered = await renderVariant(input, variant, config.maxImagePixels);
    ctx.logger.info({ fileId: file.id, variant: variant.key, ms: Math.round(performance.now() - started), bytes: rendered.length }, "variant rendered");
    return rendered;
  } catch (error) {
    ctx.logger.warn({ err: error, fileId: file.id, variant: variant.key }, "variant rendering failed");
    throw new ApiError({ code: "VALIDATION_FAILED", message: "This image cannot be rendered with these parameters" });
  }
}
