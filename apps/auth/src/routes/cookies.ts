import { ApiError, type AppEnv } from "@lodge/kit";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AuthDeps } from "../deps";

export const REFRESH_COOKIE = "lodge_refresh";

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

/**
 * A cookie-authenticated request must come from our own origin or an allowed one (CSRF): a
 * browser always sends Origin on a cross-site POST.
 */
function cookieOriginAllowed(c: Context<AppEnv>, deps: AuthDeps): boolean {
  const origin = c.req.header("origin");
  if (!origin) return true;
  if (deps.config.corsOrigins.includes(origin)) return true;
  try {
    return new URL(origin).host === c.req.header("host");
  } catch {
    return false;
  }
}

/**
 * The refresh token a request presents: from the body, or else the cookie (then only from an
 * allowed origin). `fromCookie` tells the caller to clear a cookie that failed.
 */
export function presentedRefreshToken(c: Context<AppEnv>, deps: AuthDeps, fromBody: string | undefined) {
  if (fromBody) return { refreshToken: fromBody, fromCookie: false };
  const fromCookie = getCookie(c, REFRESH_COOKIE);
  if (fromCookie && !cookieOriginAllowed(c, deps)) throw new ApiError({ code: "FORBIDDEN", message: "Origin not allowed" });
  return { refreshToken: fromCookie, fromCookie: fromCookie !== undefined };
}
