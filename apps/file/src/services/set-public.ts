import { files } from "@lodge/db/schema";
import type { Principal } from "@lodge/kit";
import { and, eq, sql } from "drizzle-orm";
import type { Ctx } from "../deps";
import { authorizedFile, notFound } from "../helpers/access";

/**
 * Sets the explicit public flag: a public file's content is served to anyone, with long-lived
 * caching. Who published it is recorded (`owner`, `admin` or `client:<id>`), so a service client takes back only what it published (the
 * user service's old avatar) and never a file a person made public: a person's choice is recorded
 * over a client's, a client publishing an already public file leaves its publisher as it was, and a
 * client unpublishing a file someone else published changes nothing (the row is answered as it is).
 */
export async function setPublic({ ctx, input }: { ctx: Ctx; input: { id: string; public: boolean; by: Principal } }) {
  const { by } = input;
  const file = await authorizedFile(ctx, input.id, by, "publish");
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
