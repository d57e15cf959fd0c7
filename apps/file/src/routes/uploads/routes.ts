import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, jsonResponse } from "@lodge/kit";
import { bearer, binary } from "../schemas";

const Upload = z
  .object({
    id: z.uuid(),
    offset: z.number().int(),
    length: z.number().int(),
    expiresAt: z.string(),
    fileId: z.uuid().nullable().openapi({ description: "The file, once the last byte arrived" }),
  })
  .openapi("Upload");

const UploadId = z.object({ id: z.uuid() });
const tusHeader = { "tus-resumable": z.literal("1.0.0").openapi({ description: "tus protocol version" }) };
const tusResponseHeaders = { "Tus-Resumable": { schema: { type: "string" as const } } };

export const optionsRoute = createRoute({
  method: "options",
  path: "/files/uploads",
  tags: ["uploads (tus)"],
  summary: "tus discovery: version, extensions, largest upload",
  responses: { 204: { description: "Tus-Version, Tus-Extension and Tus-Max-Size headers" }, ...errorResponses() },
});

export const createUploadRoute = createRoute({
  method: "post",
  path: "/files/uploads",
  tags: ["uploads (tus)"],
  summary: "tus creation: announce a resumable upload of Upload-Length bytes",
  security: bearer,
  request: {
    headers: z.object({
      ...tusHeader,
      "upload-length": z.coerce.number().int().min(1).openapi({ description: "Total bytes" }),
      "upload-metadata": z.string().max(4096).optional().openapi({ description: "`filename <base64>,filetype <base64>`" }),
    }),
  },
  responses: {
    201: { ...jsonResponse(Upload, "Created; Location is the upload's URL"), headers: tusResponseHeaders },
    ...errorResponses(400, 401, 403, 412, 413, 422, 429),
  },
});

export const uploadStatusRoute = createRoute({
  method: "get",
  path: "/files/uploads/{id}",
  tags: ["uploads (tus)"],
  summary: "tus HEAD (or GET): the upload's offset, length and expiry",
  security: bearer,
  request: { params: UploadId },
  responses: {
    200: { ...jsonResponse(Upload, "Upload-Offset and Upload-Length headers; the same as JSON on GET"), headers: tusResponseHeaders },
    ...errorResponses(401, 403, 404, 412),
  },
});

export const patchUploadRoute = createRoute({
  method: "patch",
  path: "/files/uploads/{id}",
  tags: ["uploads (tus)"],
  summary: "tus PATCH: bytes at Upload-Offset; the last one creates the file (Lodge-File-Id header)",
  security: bearer,
  request: {
    params: UploadId,
    headers: z.object({ ...tusHeader, "upload-offset": z.coerce.number().int().min(0) }),
    body: { required: true, content: { "application/offset+octet-stream": { schema: binary } } },
  },
  responses: {
    204: { description: "Stored; Upload-Offset is the new offset", headers: tusResponseHeaders },
    ...errorResponses(400, 401, 403, 404, 409, 412, 413, 415, 422),
  },
});

export const terminateUploadRoute = createRoute({
  method: "delete",
  path: "/files/uploads/{id}",
  tags: ["uploads (tus)"],
  summary: "tus termination: drop the upload and its bytes (waits for a PATCH still writing; 409 if it outlasts the wait)",
  security: bearer,
  request: { params: UploadId, headers: z.object(tusHeader) },
  responses: { 204: { description: "Terminated" }, ...errorResponses(401, 403, 404, 409, 412) },
});
