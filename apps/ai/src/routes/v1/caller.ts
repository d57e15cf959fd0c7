import type { AppEnv } from "@lodge/kit";
import type { Context, MiddlewareHandler } from "hono";
import type { AiDeps } from "../../deps";
import { callerOf } from "../../helpers/admission";
import type { Caller } from "../../helpers/calls";

declare module "hono" {
  interface ContextVariableMap {
    /** Who an /ai/v1 call is for (set by `requireCaller`). */
    caller: Caller;
  }
}

/** Resolves the caller (a user's token, a Lodge API key, or a service client acting for a user) before the body is read. */
export function requireCaller(deps: AiDeps): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    c.set("caller", await callerOf(c, deps));
    await next();
  };
}

export const callerIn = (c: Context<AppEnv>): Caller => c.get("caller");
