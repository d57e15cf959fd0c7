import { createRouter } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { create, createKeyRoute } from "./create";
import { deleteKeyRoute, remove } from "./delete";
import { list, listKeysRoute } from "./list";

/** A user's API keys, managed with their own session (an API key cannot make or revoke keys). */
export function keyRoutes(deps: AiDeps) {
  const middleware = deps.guard.requireUser();
  const router = createRouter();
  router.openapi({ ...createKeyRoute, middleware }, create(deps));
  router.openapi({ ...listKeysRoute, middleware }, list(deps));
  router.openapi({ ...deleteKeyRoute, middleware }, remove(deps));
  return router;
}
