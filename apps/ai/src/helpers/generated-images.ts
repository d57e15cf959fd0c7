import { ApiError, checkTarget, type ErrorCode, errorStatus, getFromTarget, RefusedTarget } from "@lodge/kit";
import type { Ctx } from "../deps";
import { type Json, ProviderError } from "../providers/types";

/**
 * The images of an images answer stored in the file service as the user's files: each item's
 * `url` or `b64_json` becomes `{ fileId, url }` (the file's URL), `revised_prompt` kept. Without
 * the file service (no AI_CLIENT_SECRET) the answer is returned as the provider gave it.
 */
export async function storeGeneratedImages(ctx: Ctx, input: { jobId: string; userId: string; answer: Json }): Promise<Json> {
  const { files } = ctx.deps;
  if (!files) return input.answer;
  const items = Array.isArray(input.answer.data) ? (input.answer.data as Json[]) : [];
  const stored: Json[] = [];
  for (const [index, item] of items.entries()) {
    const bytes = await imageBytesOf(ctx, item);
    const name = `ai-image-${input.jobId}-${index + 1}`;
    const reply = await files.call("file", `/files?name=${name}`, {
      method: "POST",
      // The file service tells the type from the bytes (and refuses what is not an allowed image).
      bytes: { data: bytes, contentType: "application/octet-stream" },
      actingFor: input.userId,
      requestId: ctx.requestId,
    });
    if (reply.status !== 201) throw storeRefused(reply.status, reply.json);
    const file = reply.json as { id: string; url: string };
    stored.push({ fileId: file.id, url: file.url, ...(typeof item.revised_prompt === "string" ? { revised_prompt: item.revised_prompt } : {}) });
  }
  return { ...input.answer, data: stored };
}

/** One image's bytes: decoded from `b64_json` (or a data: URL), or fetched from the provider's URL under the public-http rules. */
async function imageBytesOf(ctx: Ctx, item: Json): Promise<Uint8Array> {
  const { env } = ctx.deps;
  const encoded = typeof item.b64_json === "string" ? item.b64_json : typeof item.url === "string" ? dataUrlPayload(item.url) : undefined;
  if (encoded !== undefined) {
    // Base64 takes 4 characters for 3 bytes: a longer text is refused before it is decoded.
    if (encoded.length > Math.ceil(env.AI_IMAGE_MAX_BYTES / 3) * 4) throw garbage(`The image is larger than ${env.AI_IMAGE_MAX_BYTES} bytes`);
    const bytes = Buffer.from(encoded, "base64");
    if (bytes.length === 0) throw garbage("The provider's image is empty");
    return bytes;
  }
  if (typeof item.url !== "string") throw garbage("The provider's answer has an item without an image (url or b64_json)");
  let target: Awaited<ReturnType<typeof checkTarget>>;
  try {
    target = await checkTarget(item.url, { allowedHosts: env.AI_IMAGE_ALLOWED_HOSTS.map((host) => host.toLowerCase().replace(/^\[(.*)\]$/, "$1")) });
  } catch (error) {
    if (!(error instanceof RefusedTarget)) throw error;
    // The reason, not the URL: a provider's URL may carry a signature.
    ctx.logger.warn({ reason: error.reason }, "a provider's image URL was refused");
    throw garbage(`The provider's image URL is refused (${error.reason})`);
  }
  let answer: Awaited<ReturnType<typeof getFromTarget>>;
  try {
    answer = await getFromTarget(target, { timeoutMs: env.AI_IMAGE_FETCH_TIMEOUT_MS, maxResponseBytes: env.AI_IMAGE_MAX_BYTES });
  } catch {
    throw new ProviderError("The provider's image could not be fetched", { status: null, retryable: true });
  }
  if (answer.status === 429 || answer.status >= 500)
    throw new ProviderError("The provider's image could not be fetched", { status: answer.status, retryable: true });
  if (answer.status !== 200) throw new ProviderError("The provider's image could not be fetched", { status: answer.status, retryable: false });
  if (answer.cut) throw garbage(`The image is larger than ${env.AI_IMAGE_MAX_BYTES} bytes`);
  if (answer.body.length === 0) throw garbage("The provider's image is empty");
  return answer.body;
}

function dataUrlPayload(url: string): string | undefined {
  return /^data:image\/[a-z0-9.+-]+;base64,/i.exec(url) ? url.slice(url.indexOf(",") + 1) : undefined;
}

/** An answer no retry will mend. */
function garbage(message: string) {
  return new ProviderError(message, { status: null, retryable: false });
}

/** The file service refused an image, in its own words and code: over the user's quota or not an allowed image (for good), or rate limited (another attempt). */
function storeRefused(status: number, body: unknown) {
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  const code = error?.code !== undefined && error.code in errorStatus ? (error.code as ErrorCode) : "INTERNAL";
  return new ApiError({ code, message: `The image could not be stored as your file: ${error?.message ?? `status ${status}`}` });
}
