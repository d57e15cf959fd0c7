import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { createRouter } from "./app";
import { type Ctx, ctxOf } from "./context";
import { errorResponses, jsonResponse } from "./openapi";
import type { ServiceBase } from "./service";
import type { AppEnv } from "./types";

type UserExport<Deps extends ServiceBase, Data extends z.ZodType> = {
  /** The service's public prefix: the route is `<prefix>/export/{userId}`. */
  prefix: string;
  /** The scope the user service's client holds for it (`files:export`). */
  scope: string;
  /** What it holds about a user, said for the document ("A user's file metadata"). */
  summary: string;
  /** Everything the service holds about the user: the 200's body. */
  data: Data;
  /** Gathers it (a service verb). */
  exportUser: (args: { ctx: Ctx<Deps>; input: { userId: string } }) => Promise<z.input<Data>>;
};

/**
 * `GET <prefix>/export/{userId}`: a service's part of a user's data export, which the user service
 * fetches with its client's `<service>:export` scope and puts together with the other services'.
 * Mount it before routes with a `{id}` segment where it matches their shape.
 */
export function userExportRoutes<Deps extends ServiceBase, Data extends z.ZodType>(deps: Deps, options: UserExport<Deps, Data>) {
  // The document and the response check take the schema as is; the types stop at exportUser's.
  const data: z.ZodType = options.data;
  const route = createRoute({
    method: "get",
    path: `${options.prefix}/export/{userId}`,
    tags: ["internal"],
    summary: `${options.summary} for the data export (service clients with ${options.scope})`,
    security: [{ bearer: [] }],
    request: { params: z.object({ userId: z.uuid() }) },
    responses: { 200: jsonResponse(data, "Everything the service holds about the user"), ...errorResponses(401, 403) },
  });
  const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
    c.json(await options.exportUser({ ctx: ctxOf(c, deps), input: { userId: c.req.valid("param").userId } }), 200);
  const router = createRouter();
  router.openapi({ ...route, middleware: deps.guard.requireScope(options.scope) }, handler);
  return router;
}
