import { admittedChats } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/** Whether an invite-only bot talks to the chat: it was admitted by a code (linked chats pass anyway). */
export async function isChatAdmitted({ ctx, input }: { ctx: Ctx; input: { chatId: number } }) {
  const [row] = await ctx.deps.db.select({ chatId: admittedChats.chatId }).from(admittedChats).where(eq(admittedChats.chatId, input.chatId));
  return row !== undefined;
}
