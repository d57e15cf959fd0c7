import { createRouter } from "@lodge/kit";
import type { BotDeps } from "../../deps";
import { create, createLinkRoute } from "./create";
import { deleteLinkRoute, remove } from "./delete";
import { get, getLinkRoute } from "./get";

/** Linking the caller's account to a Telegram chat (users only: a link is personal). */
export function linkRoutes(deps: BotDeps) {
  const middleware = deps.guard.requireUser();
  const router = createRouter();
  router.openapi({ ...createLinkRoute, middleware }, create(deps));
  router.openapi({ ...getLinkRoute, middleware }, get(deps));
  router.openapi({ ...deleteLinkRoute, middleware }, remove(deps));
  return router;
}
