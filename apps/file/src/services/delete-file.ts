import { files } from "@lodge/db/schema";
import type { Principal } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { authorizedFile, notFound } from "../helpers/access";
import { removeObjects } from "../helpers/remove-objects";

/** Removes the file's bytes and every variant from storage, then its rows, and publishes `file.deleted` (its owner or an admin; 404 for anyone else). */
export async function deleteFile({ ctx, input }: { ctx: Ctx; input: { id: string; by: Principal } }) {
  const file = await authorizedFile(ctx, input.id, input.by, "manage");
  await removeObjects(ctx, file);
  const deleted = await ctx.deps.outbox.transaction(async (tx) => {
    const rows = await tx.delete(files).where(eq(files.id, file.id)).returning({ id: files.id });
    if (rows.length > 0) await ctx.deps.outbox.enqueue(tx, "file.deleted", { fileId: file.id, ownerId: file.ownerId }, ctx.requestId);
    return rows.length > 0;
  });
  ctx.deps.caches.files.delete(file.id);
  if (!deleted) throw notFound();
}
