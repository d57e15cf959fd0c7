import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, ctxOf, errorResponses, jsonResponse } from "@lodge/kit";
import type { UserDeps } from "../../deps";
import { searchProfiles } from "../../services/search-profiles";
import { AdminProfile, bearer } from "../schemas";

export const searchUsersRoute = createRoute({
  method: "get",
  path: "/users",
  tags: ["admin"],
  summary: "Search users by email or display name (admins only)",
  description: "Case-insensitive substring match; oldest account first. Pass `nextCursor` as `cursor` for the next page (null on the last).",
  security: bearer,
  request: {
    query: z.object({
      q: z
        .string()
        .max(254)
        .refine((value) => value.isWellFormed() && !/\p{Cc}/u.test(value), "must be printable text")
        .optional(),
      cursor: z.string().max(64).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(20),
    }),
  },
  responses: {
    200: jsonResponse(z.object({ users: z.array(AdminProfile), nextCursor: z.string().nullable() }), "A page of users"),
    ...errorResponses(401, 403),
  },
});

export const searchUsers =
  (deps: UserDeps): RouteHandler<typeof searchUsersRoute, AppEnv> =>
  async (c) =>
    c.json(await searchProfiles({ ctx: ctxOf(c, deps), input: c.req.valid("query") }), 200);
