import { users } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { recordAudit } from "../helpers/audit";
import { normalizeEmail } from "../helpers/public-user";
import { hashPassword } from "../helpers/secrets";

/** Creates an admin, or promotes an existing account (its password is then left as it is). */
export async function createAdmin({ ctx, input }: { ctx: Ctx; input: { email: string; password: string; name?: string } }) {
  const email = normalizeEmail(input.email);
  const passwordHash = await hashPassword(input.password);
  return ctx.deps.outbox.transaction(async (tx) => {
    const [existing] = await tx.select().from(users).where(eq(users.email, email)).limit(1);
    if (existing) {
      if (existing.role !== "admin") {
        await tx.update(users).set({ role: "admin", updatedAt: ctx.deps.clock() }).where(eq(users.id, existing.id));
        await recordAudit({ ctx, tx, entry: { action: "role.changed", userId: existing.id, details: { from: existing.role, to: "admin", by: "cli" } } });
      }
      return { userId: existing.id, created: false };
    }
    const [user] = await tx
      .insert(users)
      .values({ email, name: input.name ?? null, passwordHash, role: "admin" })
      .returning();
    const created = user as typeof users.$inferSelect;
    await recordAudit({ ctx, tx, entry: { action: "role.changed", userId: created.id, details: { from: null, to: "admin", by: "cli" } } });
    await ctx.deps.outbox.enqueue(tx, "user.registered", { userId: created.id, email, name: created.name }, ctx.requestId);
    return { userId: created.id, created: true };
  });
}
