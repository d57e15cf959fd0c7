import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { getUserLimits } from "../../services/get-user-limits";
import { bearer, EffectiveLimits, UserOverrides } from "../schemas";

export const UserIdParam = z.object({ userId: z.uuid().openapi({ param: { name: "userId", in: "path" } }) });

export const UserLimitsView = z
  .object({ userId: z.uuid(), overrides: UserOverrides, effective: EffectiveLimits, updatedAt: z.string().nullable() })
  .openapi("AiUserLimits");

export const getUserLimitsRoute = createRoute({
  method: "get",
  path: "/ai/admin/users/{userId}/limits",
  tags: ["admin"],
  summary: "A user's limit and budget overrides (null: the default) and the limits that apply (admins)",
  security: bearer,
  request: { params: UserIdParam },
  responses: { 200: jsonResponse(UserLimitsView, "The user's limits"), ...errorResponses(401, 403) },
});

export const getUserLimitsHandler =
  (deps: AiDeps): RouteHandler<typeof getUserLimitsRoute, AppEnv> =>
  async (c) => {
    const { userId } = c.req.valid("param");
    const found = await getUserLimits({ ctx: ctxOf(c, deps), input: { userId } });
    return c.json({ userId, ...found, updatedAt: found.updatedAt?.toISOString() ?? null }, 200);
  };
