import { profiles } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { publicProfile } from "../helpers/present-profile";

/** Another user's public fields; 404 for an unknown or deleted account. */
export async function getPublicProfile({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const [row] = await ctx.deps.db.select().from(profiles).where(eq(profiles.userId, input.userId)).limit(1);
  if (!row) throw new ApiError({ code: "NOT_FOUND", message: "No such user" });
  return publicProfile(row, ctx.deps.config);
}
