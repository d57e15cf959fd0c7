import type { RouteHandler } from "@hono/zod-openapi";
import { ApiError, type AppEnv, createRouter, ctxOf, userOf } from "@lodge/kit";
import type { FileDeps } from "../../deps";
import { drainable } from "../../helpers/drain";
import { appendToUpload } from "../../services/append-to-upload";
import { createUpload } from "../../services/create-upload";
import { findUpload } from "../../services/find-upload";
import { terminateUpload } from "../../services/terminate-upload";
import { createUploadRoute, optionsRoute, patchUploadRoute, terminateUploadRoute, uploadStatusRoute } from "./routes";
import { parseUploadMetadata, setUploadHeaders, TUS_EXTENSIONS, TUS_VERSION, tusProtocol, uploadUrl, uploadView } from "./tus";

/** Resumable uploads, tus 1.0 (core, creation, termination, expiration), at /files/uploads. */
export function uploadRoutes(deps: FileDeps) {
  const { requireUser } = deps.guard;
  const router = createRouter();
  router.use("/files/uploads", tusProtocol);
  router.use("/files/uploads/*", tusProtocol);

  router.openapi(optionsRoute, ((c) => {
    c.header("Tus-Version", TUS_VERSION);
    c.header("Tus-Extension", TUS_EXTENSIONS);
    c.header("Tus-Max-Size", String(deps.config.maxSizeBytes));
    return c.body(null, 204);
  }) as RouteHandler<typeof optionsRoute, AppEnv>);

  router.openapi({ ...createUploadRoute, middleware: requireUser() }, async (c) => {
    const headers = c.req.valid("header");
    const raw = headers["upload-metadata"];
    const upload = await createUpload({
      ctx: ctxOf(c, deps),
      input: { ownerId: userOf(c).userId, length: headers["upload-length"], metadata: parseUploadMetadata(raw), raw },
    });
    c.header("Location", uploadUrl(deps.config, upload.id));
    c.header("Upload-Expires", upload.expiresAt.toUTCString());
    return c.json(uploadView(upload), 201);
  });

  router.openapi({ ...uploadStatusRoute, middleware: requireUser() }, async (c) => {
    const upload = await findUpload({ ctx: ctxOf(c, deps), input: { id: c.req.valid("param").id, ownerId: userOf(c).userId } });
    setUploadHeaders(c, upload);
    return c.json(uploadView(upload), 200);
  });

  router.openapi({ ...patchUploadRoute, middleware: requireUser() }, async (c) => {
    const type = c.req.header("content-type")?.split(";")[0]?.trim().toLowerCase();
    if (type !== "application/offset+octet-stream")
      throw new ApiError({ code: "UNSUPPORTED_MEDIA_TYPE", message: "Send Content-Type: application/offset+octet-stream" });
    const length = c.req.header("content-length");
    const body = c.req.raw.body ? drainable(c.req.raw.body) : undefined;
    const result = await appendToUpload({
      ctx: ctxOf(c, deps),
      input: {
        id: c.req.valid("param").id,
        ownerId: userOf(c).userId,
        offset: c.req.valid("header")["upload-offset"],
        body: body?.stream ?? null,
        contentLength: length === undefined ? undefined : Number(length),
      },
    }).catch(async (error) => {
      await body?.drain();
      throw error;
    });
    setUploadHeaders(c, result.upload, result.fileId);
    return c.body(null, 204);
  });

  router.openapi({ ...terminateUploadRoute, middleware: requireUser() }, async (c) => {
    await terminateUpload({ ctx: ctxOf(c, deps), input: { id: c.req.valid("param").id, ownerId: userOf(c).userId } });
    return c.body(null, 204);
  });
  return router;
}
