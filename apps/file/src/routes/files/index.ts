import { createRouter } from "@lodge/kit";
import type { FileDeps } from "../../deps";
import { cachedVariant, content, contentRoute } from "./content";
import { deleteFileRoute, remove } from "./delete";
import { get, getFileRoute } from "./get";
import { list, listFilesRoute } from "./list";
import { sign, signedUrlRoute } from "./signed-url";
import { update, updateFileRoute } from "./update";
import { upload, uploadFileRoute } from "./upload";

export function fileRoutes(deps: FileDeps) {
  const { requireToken, requireUser } = deps.guard;
  const router = createRouter();
  // A user for themselves, or a `files:write` client for the user it names (actingUserOf).
  router.openapi({ ...uploadFileRoute, middleware: requireToken() }, upload(deps));
  router.openapi({ ...listFilesRoute, middleware: requireUser() }, list(deps));
  router.openapi({ ...getFileRoute, middleware: requireToken() }, get(deps));
  // Variants held in memory are answered before the validators and the guard (see cachedVariant).
  router.openapi({ ...contentRoute(deps.config.maxVariantDimension), middleware: cachedVariant(deps) }, content(deps));
  router.openapi({ ...updateFileRoute, middleware: requireToken() }, update(deps));
  router.openapi({ ...deleteFileRoute, middleware: requireToken() }, remove(deps));
  router.openapi({ ...signedUrlRoute(deps.config.signedUrlMaxSeconds), middleware: requireToken() }, sign(deps));
  return router;
}
