import { ApiError, type AppEnv, actingUserOf } from "@lodge/kit";
import type { Context } from "hono";
import type { AiDeps } from "../deps";
import type { Caller } from "./calls";

/**
 * Who a request is for: a user's access token, or a service client with `ai:invoke` naming the
 * user in X-Lodge-User (the kit's actingUserOf rule). The accounting branch's callerOf (API keys
 * too) replaces this file at merge; its export is the same.
 */
export async function callerOf(c: Context<AppEnv>, deps: AiDeps): Promise<Caller> {
  const principal = await deps.guard.optionalPrincipal(c);
  if (!principal) throw new ApiError({ code: "UNAUTHORIZED", message: "Missing bearer token" });
  c.set("principal", principal);
  const userId = actingUserOf(c, "ai:invoke");
  return principal.kind === "user"
    ? { userId, keyId: null, clientId: null, admin: principal.role === "admin" }
    : { userId, keyId: null, clientId: principal.clientId, admin: false };
}
