import { knownFiles } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/**
 * Asks the file service to serve a file without a token (`PATCH /files/:id {"public": true}` with
 * our `files:write` client token), so the avatar URLs work in an `<img>`. False when the file
 * service no longer has it (it was deleted before its event reached us: we forget it too).
 */
export async function makeFilePublic({ ctx, input }: { ctx: Ctx; input: { fileId: string } }): Promise<boolean> {
  const reply = await ctx.deps.remote.call("file", `/files/${input.fileId}`, { method: "PATCH", body: { public: true }, requestId: ctx.requestId });
  if (reply.status === 200 || reply.status === 204) return true;
  if (reply.status === 404) {
    await ctx.deps.db.delete(knownFiles).where(eq(knownFiles.fileId, input.fileId));
    return false;
  }
  ctx.logger.error({ status: reply.status, fileId: input.fileId }, "the file service refused to make an avatar public");
  throw ctx.deps.remote.unavailable("file");
}
