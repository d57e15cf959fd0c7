import { ApiError, type Principal } from "@lodge/kit";
import type { Ctx } from "../deps";
import { allowed, loadFile } from "../helpers/access";
import { verifySignature } from "../helpers/signing";
import type { Variant } from "../helpers/variant-params";
import { getVariant } from "./get-variant";

/**
 * What GET /files/{id}/content serves: the file once the caller may read it (a valid signed URL, a
 * public file, or a principal allowed to; 401 with no one, 404 for anyone else) and the variant
 * asked for. `identify` is asked only for a private file without a signature (it verifies a token).
 * `signedSecondsLeft` bounds how long a signed answer may be cached.
 */
export async function readContent({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { id: string; expires?: number; sig?: string; variant?: Variant; identify: () => Promise<Principal | undefined> };
}) {
  const file = await loadFile(ctx, input.id);
  let signedSecondsLeft: number | undefined;
  if (input.sig !== undefined || input.expires !== undefined) {
    if (input.sig === undefined || input.expires === undefined) throw new ApiError({ code: "FORBIDDEN", message: "Invalid signature" });
    verifySignature(ctx, file.id, input.expires, input.sig);
    signedSecondsLeft = input.expires - Math.floor(ctx.deps.clock().getTime() / 1000);
  } else if (!file.public) {
    const principal = await input.identify();
    if (!principal) throw new ApiError({ code: "UNAUTHORIZED", message: "Sign in, or use a signed URL" });
    if (!allowed(principal, file, "read")) throw new ApiError({ code: "NOT_FOUND", message: "No such file" });
  }
  const { variant } = input;
  const rendered = variant ? await getVariant({ ctx, input: { file, variant, clientIp: ctx.ip } }) : undefined;
  return { file, rendered, signedSecondsLeft };
}
