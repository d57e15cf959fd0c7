import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonBody, jsonResponse } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { applyOverrides } from "../../helpers/limits";
import { setUserLimits } from "../../services/set-user-limits";
import { bearer, UserOverrides } from "../schemas";
import { UserIdParam, UserLimitsView } from "./get-user-limits";

export const putUserLimitsRoute = createRoute({
  method: "put",
  path: "/ai/admin/users/{userId}/limits",
  tags: ["admin"],
  summary: "Set a user's limits and budgets, every one (null: back to the default) (admins)",
  security: bearer,
  request: { params: UserIdParam, body: jsonBody(UserOverrides.strict()) },
  responses: { 200: jsonResponse(UserLimitsView, "The user's limits"), ...errorResponses(401, 403) },
});

export const putUserLimitsHandler =
  (deps: AiDeps): RouteHandler<typeof putUserLimitsRoute, AppEnv> =>
  async (c) => {
    const { userId } = c.req.valid("param");
    const row = await setUserLimits({ ctx: ctxOf(c, deps), input: { userId, ...c.req.valid("json") } });
    const { updatedAt, userId: _, ...overrides } = row;
    return c.json({ userId, overrides, effective: applyOverrides(deps.accounting.defaults, overrides), updatedAt: updatedAt.toISOString() }, 200);
  };
