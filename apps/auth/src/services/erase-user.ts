import { auditLog, oneTimeTokens, users } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { revokeSessions } from "../helpers/sessions";

/**
 * Account deletion, auth's part (on `user.deletion_requested`): revoke every session first, so the
 * user's access tokens die at every service, then delete the account (sessions and refresh tokens
 * cascade), its one-time tokens and its audit entries; entries where the user acted on others
 * (as an admin) keep the action but lose the actor. Then `user.data_erased {service: "auth"}`.
 * All in one transaction, and idempotent: a redelivery finds nothing and acknowledges again.
 */
export async function eraseUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { userId } = input;
  await ctx.deps.outbox.transaction(async (tx) => {
    await revokeSessions({ ctx, tx, input: { userId, reason: "account_deleted" } });
    await tx.delete(auditLog).where(eq(auditLog.userId, userId));
    await tx.update(auditLog).set({ actorId: null }).where(eq(auditLog.actorId, userId));
    await tx.delete(oneTimeTokens).where(eq(oneTimeTokens.userId, userId));
    await tx.delete(users).where(eq(users.id, userId));
    await ctx.deps.outbox.enqueue(tx, "user.data_erased", { userId, service: "auth" }, ctx.requestId);
  });
  ctx.logger.info({ userId }, "account erased");
}
