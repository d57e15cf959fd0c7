import { botInvites } from "@lodge/db/schema";
import { desc } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Invites listed at most (the newest). */
const LIST_LIMIT = 500;

/** The invite codes, newest first, with their uses (never the codes: only their hashes are kept). */
export async function listInvites({ ctx }: { ctx: Ctx }) {
  return ctx.deps.db.select().from(botInvites).orderBy(desc(botInvites.createdAt), desc(botInvites.id)).limit(LIST_LIMIT);
}
