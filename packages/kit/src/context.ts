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
