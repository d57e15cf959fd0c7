import { createRouter } from "@lodge/kit";
import type { BotDeps } from "../../deps";
import { create, createInviteRoute } from "./create";
import { list, listInvitesRoute } from "./list";
import { revoke, revokeInviteRoute } from "./revoke";
import { listInviteUsesRoute, uses } from "./uses";

/** Invite codes for an invite-only bot (BOT_ACCESS=invite), managed by admins. */
export function inviteRoutes(deps: BotDeps) {
  const middleware = deps.guard.requireAdmin();
  const router = createRouter();
  router.openapi({ ...createInviteRoute, middleware }, create(deps));
  router.openapi({ ...listInvitesRoute, middleware }, list(deps));
  router.openapi({ ...revokeInviteRoute, middleware }, revoke(deps));
  router.openapi({ ...listInviteUsesRoute, middleware }, uses(deps));
  return router;
}
