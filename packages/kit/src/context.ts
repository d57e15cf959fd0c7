import type { Logger } from "@lodge/base";
import type { Context } from "hono";
import { ApiError } from "./errors";
import type { AppEnv, Principal } from "./types";

/**
 * What a service function gets: the service's deps, a logger carrying where the work came from
 * (a request's id, an event's id, a job's), and, for a request, who is asking and from where.
 * The same shape for requests (`ctxOf`), event handlers and job processors (the starter makes those).
 * The time is `deps.clock()`.
 */
export type Ctx<Deps> = {
  deps: Deps;
  logger: Logger;
  /** Carried from the request that caused the work (an event's or a job's requestId). */
  requestId?: string;
  principal?: Principal;
  ip?: string;
  userAgent?: string;
};

/** The request's Ctx; its logger and client IP are made when first read (most requests never need them). */
export function ctxOf<Deps>(c: Context<AppEnv>, deps: Deps): Ctx<Deps> {
  return {
    deps,
    requestId: c.get("requestId"),
    principal: c.get("principal"),
    userAgent: c.req.header("user-agent"),
    get logger() {
      return c.get("logger")();
    },
    get ip() {
      return c.get("clientIp")();
    },
  };
}

/** The signed-in user behind the request; a client token gets 403 (for handlers behind `requireToken`). */
export function userOf(c: Context<AppEnv>): Extract<Principal, { kind: "user" }> {
  const principal = c.get("principal");
  if (principal?.kind !== "user") throw new ApiError({ code: "FORBIDDEN", message: "Only for user sessions" });
  return principal;
}

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Who a request acts for, by one rule every service shares: a user's token acts for that user (an
 * `X-Lodge-User` naming anyone else is refused, admins included); a service client acts for the
 * user its `X-Lodge-User` names, and only when it holds `scope`. Anything else is 403.
 */
export function actingUserOf(c: Context<AppEnv>, scope: string): string {
  const principal = c.get("principal");
  const named = c.req.header("x-lodge-user");
  if (named !== undefined && !uuid.test(named))
    throw new ApiError({ code: "VALIDATION_FAILED", message: "X-Lodge-User must be a user id", details: [{ path: "x-lodge-user", message: "not a UUID" }] });
  if (principal?.kind === "user") {
    if (named !== undefined && named.toLowerCase() !== principal.userId.toLowerCase())
      throw new ApiError({ code: "FORBIDDEN", message: "A user token acts only for its own user" });
    return principal.userId;
  }
  if (principal?.kind !== "client") throw new ApiError({ code: "FORBIDDEN", message: "Not allowed for this token" });
  if (!principal.scopes.includes(scope)) throw new ApiError({ code: "FORBIDDEN", message: `Acting for a user needs the ${scope} scope` });
  if (named === undefined) throw new ApiError({ code: "FORBIDDEN", message: "A service client must name the user it acts for (X-Lodge-User)" });
  return named.toLowerCase();
}
