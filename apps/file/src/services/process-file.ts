import { files } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { isRasterImage } from "./sniff";
import { canonicalVariant, getVariant, standardVariants } from "./variants";

/** After an upload: renders the standard thumbnails of an image (once each) and publishes `file.processed`. */
export async function processFile({ ctx, input }: { ctx: Ctx; input: { fileId: string } }) {
  const [file] = await ctx.deps.db.select().from(files).where(eq(files.id, input.fileId)).limit(1);
  if (!file) return { skipped: true, variants: [] as string[] };
  const keys: string[] = [];
  if (isRasterImage(file.contentType)) {
    for (const params of standardVariants) {
      const variant = canonicalVariant(params);
      if (!variant) continue;
      await (await getVariant({ ctx, input: { file, variant } })).persisted;
      keys.push(variant.key);
    }
  }
  await ctx.deps.outbox.transaction((tx) => ctx.deps.outbox.enqueue(tx, "file.processed", { fileId: file.id, ownerId: file.ownerId, variants: keys }));
  return { skipped: false, variants: keys };
}
