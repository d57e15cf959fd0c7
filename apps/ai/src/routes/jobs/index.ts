import { type AppEnv, createRouter } from "@lodge/kit";
import type { MiddlewareHandler } from "hono";
import type { AiDeps } from "../../deps";
import { callerOf } from "../../helpers/admission";
import type { Caller } from "../../helpers/calls";
import { cancel, cancelJobRoute } from "./cancel";
import { create, createJobRoute } from "./create";
import { get, getJobRoute } from "./get";
import { list, listJobsRoute } from "./list";

/** Async jobs: a user's own (their token, key, or a service client acting for them); an admin may read and cancel anyone's. */
export function jobRoutes(deps: AiDeps) {
  // Who each request is for, found before its body or parameters are looked at.
  const callers = new WeakMap<Request, Caller>();
  const middleware: MiddlewareHandler<AppEnv> = async (c, next) => {
    callers.set(c.req.raw, await callerOf(c, deps));
    await next();
  };
  const callerIn = (c: { req: { raw: Request } }) => {
    const caller = callers.get(c.req.raw);
    if (!caller) throw new Error("a jobs route ran without its caller middleware");
    return caller;
  };
  const router = createRouter();
  router.openapi({ ...createJobRoute, middleware }, create(deps, callerIn));
  router.openapi({ ...listJobsRoute, middleware }, list(deps, callerIn));
  router.openapi({ ...getJobRoute, middleware }, get(deps, callerIn));
  router.openapi({ ...cancelJobRoute, middleware }, cancel(deps, callerIn));
  return router;
}
