import { admittedChats, botInvites } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { desc, eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Admissions listed at most (the newest). */
const LIST_LIMIT = 1000;

/**
 * The audit of an invite code: the chats it admitted, newest first, who sent the code and when.
 * Chats of users whose account was deleted are gone from it (their `uses` still count).
 */
export async function listInviteUses({ ctx, input }: { ctx: Ctx; input: { id: string } }) {
  const { db } = ctx.deps;
  const [invite] = await db.select({ id: botInvites.id }).from(botInvites).where(eq(botInvites.id, input.id));
  if (!invite) throw new ApiError({ code: "NOT_FOUND", message: "No such invite" });
  return db
    .select()
    .from(admittedChats)
    .where(eq(admittedChats.inviteId, input.id))
    .orderBy(desc(admittedChats.createdAt), desc(admittedChats.chatId))
    .limit(LIST_LIMIT);
}
