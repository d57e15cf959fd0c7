import type { Ctx } from "../deps";
import { mac } from "../helpers/signing";
import { contentUrl } from "../helpers/views";

/** A URL for the file's content that works without a token until `expiresIn` seconds from now (any variant of it too). */
export function signedUrl({ ctx, input }: { ctx: Ctx; input: { fileId: string; expiresIn: number } }) {
  const { config, clock } = ctx.deps;
  const expires = Math.floor(clock().getTime() / 1000) + input.expiresIn;
  const sig = mac(config.signingSecret, input.fileId, expires).toString("base64url");
  return { url: `${contentUrl(config, input.fileId)}?expires=${expires}&sig=${sig}`, expiresAt: new Date(expires * 1000).toISOString(), expires };
}
