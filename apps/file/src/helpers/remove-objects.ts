import { variants } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { deletePrefix } from "./storage/index";
import { variantPrefixes } from "./storage/keys";
import type { FileRow } from "./views";

/**
 * Storage first: if that fails the rows remain, so a retry finds every key again. Variants go by
 * their rows (whatever layout each was written in), then by both layouts' prefixes, which catch a
 * rendering whose row was never written.
 */
export async function removeObjects(ctx: Ctx, file: Pick<FileRow, "id" | "ownerId" | "storageKey">) {
  const { storage, db } = ctx.deps;
  const stored = await db.select({ key: variants.storageKey }).from(variants).where(eq(variants.fileId, file.id));
  for (const variant of stored) await storage.delete(variant.key);
  for (const prefix of variantPrefixes(file.ownerId, file.id)) await deletePrefix(storage, prefix);
  await storage.delete(file.storageKey);
}
