import { files } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { isRasterImage } from "../helpers/sniff";
import { getVariant } from "./get-variant";

/**
 * After an upload: renders the configured presets of an image (once each; by default the 128×128
 * avatar and the 512 list size) and publishes `file.processed`. They share the render gate with
 * requests (a full queue fails the job, which BullMQ retries) but no client's rate limit.
 */
export async function processFile({ ctx, input }: { ctx: Ctx; input: { fileId: string } }) {
  const [file] = await ctx.deps.db.select().from(files).where(eq(files.id, input.fileId)).limit(1);
  if (!file) return { skipped: true, variants: [] as string[] };
  const keys: string[] = [];
  if (isRasterImage(file.contentType)) {
    for (const variant of ctx.deps.config.variantPresets) {
      await (await getVariant({ ctx, input: { file, variant } })).persisted;
      keys.push(variant.key);
    }
  }
  await ctx.deps.outbox.transaction((tx) => ctx.deps.outbox.enqueue(tx, "file.processed", { fileId: file.id, ownerId: file.ownerId, variants: keys }));
  return { skipped: false, variants: keys };
}
