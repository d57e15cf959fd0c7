import { ApiError, type AppEnv, requestCtx } from "@lodge/kit";
import type { Context } from "hono";
import type { Ctx, UserDeps } from "../deps";

/** The service-function context for this request. */
export function ctxOf(c: Context<AppEnv>, deps: UserDeps): Ctx {
  return requestCtx(c, deps);
}

/** The signed-in user behind the request (the guard has already refused client tokens on user routes). */
export function userOf(c: Context<AppEnv>) {
  const principal = c.get("principal");
  if (principal.kind !== "user") throw new ApiError({ code: "FORBIDDEN", message: "Only for user sessions" });
  return principal;
}
