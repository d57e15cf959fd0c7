import type { AppEnv } from "@lodge/kit";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AuthDeps, Ctx } from "../deps";

export const REFRESH_COOKIE = "lodge_refresh";

/** The service-function context for this request. */
export function ctxOf(c: Context<AppEnv>, deps: AuthDeps): Ctx {
  return { deps, requestId: c.get("requestId"), ip: c.get("clientIp"), userAgent: c.req.header("user-agent"), logger: c.get("logger") };
}

/** Browsers keep the refresh token in an httpOnly cookie scoped to /auth; other clients use the body. */
export function setRefreshCookie(c: Context<AppEnv>, deps: AuthDeps, refreshToken: string) {
  setCookie(c, REFRESH_COOKIE, refreshToken, {
    httpOnly: true,
    secure: deps.config.cookie.secure,
    sameSite: deps.config.cookie.sameSite,
    path: "/auth",
    maxAge: deps.config.refreshTtlSeconds,
  });
}

export function clearRefreshCookie(c: Context<AppEnv>, deps: AuthDeps) {
  deleteCookie(c, REFRESH_COOKIE, { path: "/auth", secure: deps.config.cookie.secure, sameSite: deps.config.cookie.sameSite });
}

export function refreshCookie(c: Context<AppEnv>): string | undefined {
  return getCookie(c, REFRESH_COOKIE);
}

/**
 * A cookie-authenticated request must come from our own origin or an allowed one (CSRF): a
 * browser always sends Origin on a cross-site POST.
 */
export function cookieOriginAllowed(c: Context<AppEnv>, deps: AuthDeps): boolean {
  const origin = c.req.header("origin");
  if (!origin) return true;
  if (deps.config.corsOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === c.req.header("host");
  } catch {
    return false;
  }
}
