import type { Principal } from "@lodge/kit";
import type { Ctx } from "../deps";
import { authorizedFile } from "../helpers/access";
import { mac } from "../helpers/signing";
import { contentUrl } from "../helpers/views";

/** A URL for the file's content that works without a token until `expiresIn` seconds from now (any variant of it too); for whoever may read the file (404 for anyone else). */
export async function signedUrl({ ctx, input }: { ctx: Ctx; input: { id: string; expiresIn: number; by: Principal } }) {
  const file = await authorizedFile(ctx, input.id, input.by, "read");
  const { config, clock } = ctx.deps;
  const expires = Math.floor(clock().getTime() / 1000) + input.expiresIn;
  const sig = mac(config.signingSecret, file.id, expires).toString("base64url");
  return { url: `${contentUrl(config, file.id)}?expires=${expires}&sig=${sig}`, expiresAt: new Date(expires * 1000).toISOString(), expires };
}
