import { knownFiles } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/** On `file.processed`: its thumbnails are rendered. */
export async function markFileProcessed({ ctx, input }: { ctx: Ctx; input: { fileId: string } }) {
  await ctx.deps.db.update(knownFiles).set({ processed: true }).where(eq(knownFiles.fileId, input.fileId));
}
