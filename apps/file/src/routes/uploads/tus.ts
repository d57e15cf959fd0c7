import { ApiError, type AppEnv } from "@lodge/kit";
import type { Context, MiddlewareHandler } from "hono";
import type { FileConfig } from "../../config";
import type { UploadRow } from "../../helpers/uploads";
import { metadataOf } from "../../helpers/uploads";

export const TUS_VERSION = "1.0.0";
export const TUS_EXTENSIONS = "creation,termination,expiration";

/** Every tus answer says which protocol it speaks; every tus request but OPTIONS must speak 1.0.0 (412 otherwise). */
export const tusProtocol: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.header("Tus-Resumable", TUS_VERSION);
  const plainGet = c.req.method === "GET";
  if (c.req.method !== "OPTIONS" && !plainGet && c.req.header("tus-resumable") !== TUS_VERSION) {
    c.header("Tus-Version", TUS_VERSION);
    throw new ApiError({ code: "VALIDATION_FAILED", status: 412, message: `Send Tus-Resumable: ${TUS_VERSION}` });
  }
  await next();
};

/** `Upload-Metadata: key base64,key2 base64` (tus 1.0 creation). */
export function parseUploadMetadata(header: string | undefined): Record<string, string> {
  const metadata: Record<string, string> = {};
  if (!header) return metadata;
  for (const pair of header.split(",")) {
    const [key = "", value, ...rest] = pair.trim().split(" ");
    if (!/^[\w.-]{1,64}$/.test(key) || rest.length > 0 || (value !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) || key in metadata) {
      throw new ApiError({ code: "VALIDATION_FAILED", status: 400, message: "Malformed Upload-Metadata" });
    }
    metadata[key] = value === undefined ? "" : Buffer.from(value, "base64").toString("utf8");
  }
  return metadata;
}

export function uploadUrl(config: FileConfig, id: string) {
  return `${config.publicUrl}/files/uploads/${id}`;
}

/** The state headers of an upload (HEAD, PATCH). */
export function setUploadHeaders(c: Context<AppEnv>, upload: UploadRow, fileId?: string) {
  const metadata = metadataOf(upload);
  c.header("Upload-Offset", String(upload.offset));
  c.header("Upload-Length", String(upload.length));
  c.header("Upload-Expires", upload.expiresAt.toUTCString());
  c.header("Cache-Control", "no-store");
  if (metadata.raw) c.header("Upload-Metadata", metadata.raw);
  const completed = fileId ?? metadata.fileId;
  if (completed) c.header("Lodge-File-Id", completed);
}

export function uploadView(upload: UploadRow, fileId?: string) {
  return {
    id: upload.id,
    offset: upload.offset,
    length: upload.length,
    expiresAt: upload.expiresAt.toISOString(),
    fileId: fileId ?? metadataOf(upload).fileId ?? null,
  };
}
