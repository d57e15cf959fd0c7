import { ApiError, checkTarget, type ErrorCode, errorStatus, getFromTarget, RefusedTarget, type RemoteServices } from "@lodge/kit";
import { fileTypeFromBuffer } from "file-type";
import type { Ctx } from "../deps";
import { type Json, ProviderError } from "../providers/types";
import { PartlyStored } from "./job-failures";

/**
 * The images of an images answer stored in the file service as the user's files: each item's
 * `url` or `b64_json` becomes `{ fileId, url }` (the file's URL), `revised_prompt` kept. Without
 * the file service (no AI_CLIENT_SECRET) the answer is returned as the provider gave it.
 */
export async function storeGeneratedImages(ctx: Ctx, input: { jobId: string; userId: string; answer: Json }): Promise<Json> {
  const { files } = ctx.deps;
  if (!files) return input.answer;
  if (!Array.isArray(input.answer.data)) throw garbage("The provider's answer has no images (`data`)");
  const items = input.answer.data as Json[];
  const stored: Json[] = [];
  for (const [index, item] of items.entries()) {
    try {
      stored.push(await storeImage(ctx, files, { ...input, item, name: `ai-image-${input.jobId}-${index + 1}` }));
    } catch (error) {
      throw stored.length > 0 ? new PartlyStored(error, stored) : error;
    }
  }
  return { ...input.answer, data: stored };
}

async function storeImage(ctx: Ctx, files: RemoteServices<"file">, input: { userId: string; item: Json; name: string }): Promise<Json> {
  const bytes = await imageBytesOf(ctx, input.item);
  const type = await imageTypeOf(bytes);
  const reply = await files.call("file", `/files?name=${input.name}.${type.extension}`, {
    method: "POST",
    // Declared as what the bytes are: the file service checks that too (and refuses a type it does not allow).
    bytes: { data: bytes, contentType: type.contentType },
    actingFor: input.userId,
    requestId: ctx.requestId,
  });
  if (reply.status !== 201) throw storeRefused(reply.status, reply.json);
  const file = reply.json as { id: string; url: string };
  const revisedPrompt = input.item.revised_prompt;
  return { fileId: file.id, url: file.url, ...(typeof revisedPrompt === "string" ? { revised_prompt: revisedPrompt } : {}) };
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

/** Raster images only: an images answer that is anything else (text, markup, SVG) is not stored as one. */
const imageTypes = new Set(["image/png", "image/jpeg", "image/webp", "image/gif", "image/avif"]);

async function imageTypeOf(bytes: Uint8Array): Promise<{ contentType: string; extension: string }> {
  const detected = await fileTypeFromBuffer(bytes).catch(() => undefined);
  if (!detected || !imageTypes.has(detected.mime)) throw garbage("The provider's image is not an image (PNG, JPEG, WebP, GIF or AVIF)");
  return { contentType: detected.mime, extension: detected.ext };
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
  const code = error?.code !== undefined && Object.hasOwn(errorStatus, error.code) ? (error.code as ErrorCode) : "INTERNAL";
  return new ApiError({ code, message: `The image could not be stored as your file: ${error?.message ?? `status ${status}`}` });
}
