import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { ApiError, type AppEnv, actingUserHeaders, actingUserOf, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { FileDeps } from "../../deps";
import { drainable } from "../../helpers/drain";
import { firstFilePart } from "../../helpers/multipart";
import { checkFileName } from "../../helpers/names";
import { fileView } from "../../helpers/views";
import { ingestFile } from "../../services/ingest-file";
import { bearer, binary, File } from "../schemas";

/** A service client holding it stores files for the user its X-Lodge-User names. */
const WRITE_SCOPE = "files:write";

export const uploadFileRoute = createRoute({
  method: "post",
  path: "/files",
  tags: ["files"],
  summary: "Upload a file (multipart/form-data field `file`, or the raw bytes as the body)",
  description:
    "Streamed to storage. The content type is sniffed from the bytes and must be allowed; a declared type that contradicts them is refused (415). Over the size limit or the user's quota: 413. " +
    "A service client holding `files:write` stores a file for a user by naming them in `X-Lodge-User`: the file is that user's, under their quota and limits. " +
    "A client without the scope or the header, or a user's token naming another user, gets 403.",
  security: bearer,
  request: {
    headers: actingUserHeaders(WRITE_SCOPE),
    query: z.object({ name: z.string().max(1024).optional().openapi({ description: "The file name (raw bodies; overrides a multipart filename)" }) }),
    body: {
      required: true,
      content: {
        "multipart/form-data": { schema: { type: "object", properties: { file: binary }, required: ["file"] } },
        "application/octet-stream": { schema: binary },
      },
    },
  },
  responses: { 201: jsonResponse(File, "Stored"), ...errorResponses(400, 401, 403, 413, 415, 422) },
});

export const upload =
  (deps: FileDeps): RouteHandler<typeof uploadFileRoute, AppEnv> =>
  async (c) => {
    // Before the body is read: a caller that may not store for this user sends nothing to storage.
    const ownerId = actingUserOf(c, WRITE_SCOPE);
    const raw = c.req.raw.body;
    const contentType = c.req.header("content-type") ?? "";
    const lengthHeader = c.req.header("content-length");
    if (!raw || lengthHeader === "0")
      throw new ApiError({ code: "VALIDATION_FAILED", message: "The file is empty", details: [{ path: "file", message: "empty" }] });
    const queryName = c.req.valid("query").name;
    const { stream: body, drain } = drainable(raw);
    try {
      let input: { name?: string; declared?: string; body: ReadableStream<Uint8Array>; expectedLength?: number };
      if (/^multipart\/form-data/i.test(contentType)) {
        if (queryName !== undefined) checkFileName(queryName, "");
        const part = await firstFilePart(body, contentType);
        input = { name: queryName ?? part.filename, declared: part.contentType, body: part.stream };
      } else {
        if (/^multipart\//i.test(contentType)) throw new ApiError({ code: "UNSUPPORTED_MEDIA_TYPE", message: "Send multipart/form-data or the raw bytes" });
        const length = lengthHeader === undefined ? undefined : Number(lengthHeader);
        input = { name: queryName, declared: contentType, body, expectedLength: Number.isSafeInteger(length) ? length : undefined };
      }
      const name = input.name === undefined ? undefined : checkFileName(input.name, "") || undefined;
      const row = await ingestFile({ ctx: ctxOf(c, deps), input: { ownerId, ...input, name } });
      c.header("Location", `/files/${row.id}`);
      return c.json(fileView(row, deps.config), 201);
    } catch (error) {
      // Answer once the client has finished sending (up to a bound), so it reads the answer.
      await drain();
      throw error;
    }
  };
