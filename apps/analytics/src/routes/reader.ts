import { ApiError, type AppEnv, ctxOf, type Guard } from "@lodge/kit";
import type { Context, MiddlewareHandler } from "hono";
import type { AnalyticsDeps } from "../deps";
import { SHARE_HEADER, type Site, siteForReader } from "../helpers/site-access";

const shareTokenOf = (c: Context<AppEnv>) => c.req.header(SHARE_HEADER) ?? c.req.query("share");

/**
 * For routes a share link may read, before anything else is looked at: the caller's token when one
 * is sent (401 for a bad one), else a share link's token, else 401.
 */
export function signedInOrShared(guard: Guard): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = await guard.optionalPrincipal(c);
    if (principal) c.set("principal", principal);
    else if (!shareTokenOf(c)) throw new ApiError({ code: "UNAUTHORIZED", message: "Sign in, or use a shared stats link" });
    await next();
  };
}

/** The site `{id}` names, if the caller may read its stats: an admin, its owner, or a share link of it (header or `?share=`). */
export function readableSite(c: Context<AppEnv>, deps: AnalyticsDeps, siteId: string): Promise<Site> {
  return siteForReader(ctxOf(c, deps), siteId, c.get("principal"), shareTokenOf(c));
}
