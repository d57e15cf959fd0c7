import { uploads } from "@lodge/db/schema";
import { ApiError } from "@lodge/kit";
import { and, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import type { UploadRow } from "../helpers/uploads";

const notFound = () => new ApiError({ code: "NOT_FOUND", message: "No such upload" });

/** The user's upload, unless it has expired (then it is as good as gone). */
export async function findUpload({ ctx, input }: { ctx: Ctx; input: { id: string; ownerId: string } }): Promise<UploadRow> {
  const { id, ownerId } = input;
  const [row] = await ctx.deps.db
    .select()
    .from(uploads)
    .where(and(eq(uploads.id, id), eq(uploads.ownerId, ownerId)))
    .limit(1);
  if (!row || row.expiresAt.getTime() <= ctx.deps.clock().getTime()) throw notFound();
  return row;
}
