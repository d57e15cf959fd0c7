import { createRouter } from "@lodge/kit";
import type { FileDeps } from "../../deps";
import { fileGuard } from "../context";
import { cachedVariant, content, contentRoute } from "./content";
import { deleteFileRoute, remove } from "./delete";
import { exportFiles, exportRoute } from "./export";
import { get, getFileRoute } from "./get";
import { list, listFilesRoute } from "./list";
import { sign, signedUrlRoute } from "./signed-url";
import { update, updateFileRoute } from "./update";
import { upload, uploadFileRoute } from "./upload";

export function fileRoutes(deps: FileDeps) {
  const { requireAuth, requireUser } = fileGuard(deps);
  const router = createRouter();
  // Before /files/{id}/...: `export` is a literal segment.
  router.openapi({ ...exportRoute, middleware: requireAuth({ scopes: ["files:export"] }) }, exportFiles(deps));
  router.openapi({ ...uploadFileRoute, middleware: requireUser() }, upload(deps));
  router.openapi({ ...listFilesRoute, middleware: requireUser() }, list(deps));
  router.openapi({ ...getFileRoute, middleware: requireAuth() }, get(deps));
  // Variants held in memory are answered before the validators and the guard (see cachedVariant).
  router.openapi({ ...contentRoute(deps.config.maxVariantDimension), middleware: cachedVariant(deps) }, content(deps));
  router.openapi({ ...updateFileRoute, middleware: requireAuth() }, update(deps));
  router.openapi({ ...deleteFileRoute, middleware: requireAuth() }, remove(deps));
  router.openapi({ ...signedUrlRoute(deps.config.signedUrlMaxSeconds), middleware: requireAuth() }, sign(deps));
  return router;
}
