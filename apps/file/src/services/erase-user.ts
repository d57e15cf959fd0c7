import { files, uploads } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { removeObjects } from "../helpers/remove-objects";
import { deletePrefix } from "../helpers/storage/index";
import { userPrefix } from "../helpers/storage/keys";

/**
 * Account deletion: every file, variant and upload of the user leaves storage, then Postgres, and
 * `user.data_erased` (service "file") is published with the rows' removal. Storage is cleared by
 * the rows (objects from before per-user keys) and then by the user's whole prefix, so an object
 * no row lists (a part stranded by a crash) goes too. The prefix is cleared once more after the
 * rows are gone: a PATCH that recorded its part in between would otherwise leave it (one that
 * finishes later finds no row and removes its own part). Safe to run again.
 */
export async function eraseUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { db, storage, outbox, caches } = ctx.deps;
  const owned = await db.select({ id: files.id, ownerId: files.ownerId, storageKey: files.storageKey }).from(files).where(eq(files.ownerId, input.userId));
  for (const file of owned) await removeObjects(ctx, file);
  const pending = await db.select({ id: uploads.id, storageKey: uploads.storageKey }).from(uploads).where(eq(uploads.ownerId, input.userId));
  for (const upload of pending) await deletePrefix(storage, upload.storageKey);
  await deletePrefix(storage, userPrefix(input.userId));
  await ctx.deps.outbox.transaction(async (tx) => {
    const removed = await tx.delete(files).where(eq(files.ownerId, input.userId)).returning({ id: files.id });
    await tx.delete(uploads).where(eq(uploads.ownerId, input.userId));
    for (const file of removed) await outbox.enqueue(tx, "file.deleted", { fileId: file.id, ownerId: input.userId }, ctx.requestId);
    await outbox.enqueue(tx, "user.data_erased", { userId: input.userId, service: "file" }, ctx.requestId);
  });
  for (const file of owned) caches.files.delete(file.id);
  await deletePrefix(storage, userPrefix(input.userId)).catch((error) =>
    ctx.logger.warn({ err: error }, "erased user's prefix not cleared again; the sweep will"),
  );
  return { files: owned.length, uploads: pending.length };
}
