import { knownFiles } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";

/**
 * Asks the file service to serve a file without a token, or to stop (`PATCH /files/:id {"public"}`
 * with our `files:write` client token): an avatar is made public so its URLs work in an `<img>`,
 * and made private again when it stops being the avatar. The file service records who published a
 * file and lets us take back only what we published, so a file the owner made public stays so.
 * False when the file service no longer has it (it was deleted before its event reached us: we
 * forget it too).
 */
export async function publishFile({ ctx, input }: { ctx: Ctx; input: { fileId: string; public: boolean } }): Promise<boolean> {
  const reply = await ctx.deps.remote.call("file", `/files/${input.fileId}`, { method: "PATCH", body: { public: input.public }, requestId: ctx.requestId });
  if (reply.status === 200 || reply.status === 204) return true;
  if (reply.status === 404) {
    await ctx.deps.db.delete(knownFiles).where(eq(knownFiles.fileId, input.fileId));
    return false;
  }
  ctx.logger.error({ status: reply.status, fileId: input.fileId, public: input.public }, "the file service refused to change an avatar's visibility");
  throw ctx.deps.remote.unavailable("file");
}
