import { createRouter } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { exportUserData, exportUserRoute } from "./export-user";

/** The user service's fetch of the AI service's part of a user's export. */
export function exportRoutes(deps: AiDeps) {
  const router = createRouter();
  router.openapi({ ...exportUserRoute, middleware: deps.guard.requireScope("ai:export") }, exportUserData(deps));
  return router;
}
