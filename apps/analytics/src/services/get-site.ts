import { sites } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/** One site by its id (NOT_FOUND when there is none). */
export async function getSite({ ctx, input }: { ctx: Ctx; input: { id: string } }) {
  const [site] = await ctx.deps.db.select().from(sites).where(eq(sites.id, input.id)).limit(1);
  if (!site) throw new ApiError({ code: "NOT_FOUND", message: "No such site" });
  return site;
}
