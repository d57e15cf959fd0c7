import { deletions, profiles } from "@lodge/db/schema";
import { eq, sql } from "drizzle-orm";
import type { Ctx } from "../deps";

/**
 * On `user.registered`: the profile, with the email and the name given at registration. Idempotent,
 * and it fills in a profile created on first read (keeping a display name the user already chose).
 * A deleted account's late or redelivered event creates nothing.
 */
export async function createProfile({ ctx, input }: { ctx: Ctx; input: { userId: string; email: string; name: string | null } }) {
  await ctx.deps.db.transaction(async (tx) => {
    const [tombstone] = await tx.select({ userId: deletions.userId }).from(deletions).where(eq(deletions.userId, input.userId)).limit(1);
    if (tombstone) return;
    const now = ctx.deps.clock();
    await tx
      .insert(profiles)
      .values({ userId: input.userId, email: input.email, displayName: input.name, createdAt: now, updatedAt: now })
      .onConflictDoUpdate({
        target: profiles.userId,
        set: { email: sql`excluded.email`, displayName: sql`coalesce(${profiles.displayName}, excluded.display_name)` },
      });
  });
}
