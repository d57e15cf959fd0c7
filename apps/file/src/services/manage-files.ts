import { files, variants } from "@lodge/db/schema";
import type { Principal } from "@lodge/kit";
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { notFound } from "../helpers/access";
import { deletePrefix } from "../helpers/storage/index";
import { variantPrefixes } from "../helpers/storage/keys";
import type { FileRow } from "../helpers/views";

/** Removes the file's bytes and every variant from storage, then its rows, and publishes `file.deleted`. */
export async function deleteFile({ ctx, input }: { ctx: Ctx; input: { file: FileRow } }) {
  const { file } = input;
  await removeObjects(ctx, file);
  const deleted = await ctx.deps.outbox.transaction(async (tx) => {
    const rows = await tx.delete(files).where(eq(files.id, file.id)).returning({ id: files.id });
    if (rows.length > 0) await ctx.deps.outbox.enqueue(tx, "file.deleted", { fileId: file.id, ownerId: file.ownerId }, ctx.requestId);
    return rows.length > 0;
  });
  ctx.deps.caches.files.delete(file.id);
  if (!deleted) throw notFound();
}

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

/** The user's files, newest first, `limit` at a time; `cursor` is the last id of the previous page. */
export async function listFiles({ ctx, input }: { ctx: Ctx; input: { ownerId: string; cursor?: string; limit: number } }) {
  const rows = await ctx.deps.db
    .select()
    .from(files)
    .where(input.cursor ? and(eq(files.ownerId, input.ownerId), lt(files.id, input.cursor)) : eq(files.ownerId, input.ownerId))
    .orderBy(desc(files.id))
    .limit(input.limit + 1);
  const page = rows.slice(0, input.limit);
  return { rows: page, nextCursor: rows.length > input.limit ? (page[page.length - 1]?.id ?? null) : null };
}

/**
 * Sets the explicit public flag: a public file's content is served to anyone, with long-lived
 * caching. Who published it is recorded (`owner`, `admin` or `client:<id>`), so a service client takes back only what it published (the
 * user service's old avatar) and never a file a person made public: a person's choice is recorded
 * over a client's, a client publishing an already public file leaves its publisher as it was, and a
 * client unpublishing a file someone else published changes nothing (the row is answered as it is).
 */
export async function setPublic({ ctx, input }: { ctx: Ctx; input: { file: Pick<FileRow, "id" | "ownerId">; public: boolean; by: Principal } }) {
  const { by, file } = input;
  const byClient = by.kind === "client";
  // No user ids: the row outlives an admin's account.
  const publisher = by.kind === "client" ? `client:${by.clientId}` : by.userId === file.ownerId ? "owner" : "admin";
  const [row] = input.public
    ? await ctx.deps.db
        .update(files)
        .set({ public: true, publishedBy: byClient ? sql`case when ${files.public} then ${files.publishedBy} else ${publisher} end` : publisher })
        .where(eq(files.id, file.id))
        .returning()
    : await ctx.deps.db
        .update(files)
        .set({ public: false, publishedBy: null })
        .where(and(eq(files.id, file.id), byClient ? eq(files.publishedBy, publisher) : undefined))
        .returning();
  const current = row ?? (await ctx.deps.db.select().from(files).where(eq(files.id, file.id)).limit(1))[0];
  if (!current) throw notFound();
  ctx.deps.caches.files.set(current);
  return current;
}
