import type { Ctx } from "../deps";

/** The file id is the job id: a file queued twice (an event delivered again) is processed once. */
export async function queueProcessing({ ctx, input }: { ctx: Ctx; input: { fileId: string } }) {
  const { fileId } = input;
  await ctx.deps.processing?.add("thumbnails", { fileId }, { jobId: fileId });
}
