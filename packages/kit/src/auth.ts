import type { Context, MiddlewareHandler } from "hono";
import { createRemoteJWKSet, errors, type FlattenedJWSInput, type JWTHeaderParameters, type JWTPayload, type JWTVerifyGetKey, jwtVerify } from "jose";
import { ApiError } from "./errors";
import type { RevocationList } from "./revocations";
import type { AppEnv, Principal } from "./types";

/** How long an access token lives: auth signs them for this long, and the revocation watch keeps revocations as long. */
export const ACCESS_TOKEN_TTL_SECONDS = 15 * 60;
export const SIGNING_ALGORITHMS = ["EdDSA", "ES256"];

/** The auth service's public keys, cached; an unknown `kid` triggers a refetch (at most every 5 s). */
export function remoteKeys(jwksUrl: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 5000, cacheMaxAge: 10 * 60_000, timeoutDuration: 3000 });
}

export type AuthGuardOptions = {
  keys: JWTVerifyGetKey;
  issuer: string;
  audience: string;
  revocations?: RevocationList;
  /**
   * Where sessions are local (the auth service): asked about a user token the revocation list
   * cannot vouch for, instead of answering 503. Throws to refuse the token.
   */
  confirmSession?: (session: { userId: string; sessionId: string }) => Promise<void>;
  clock?: () => Date;
};
/** The guard's middlewares: each sets the request's principal (read it with `userOf(c)` or `c.get("principal")`). */
export type Guard = {
  /** A signed-in user or admin; a client token is refused with 403. */
  requireUser: () => MiddlewareHandler<AppEnv>;
  /** An admin. */
  requireAdmin: () => MiddlewareHandler<AppEnv>;
  /** A service client holding every one of `scopes` (user tokens are refused with 403). */
  requireScope: (...scopes: string[]) => MiddlewareHandler<AppEnv>;
  /** An admin, or a service client holding every one of `scopes`. */
  requireAdminOrScope: (...scopes: string[]) => MiddlewareHandler<AppEnv>;
  /** Any valid token, a user's or a client's: the handler decides what it may do. */
  requireToken: () => MiddlewareHandler<AppEnv>;
  /** The caller when a token was sent (401 for a bad one), undefined when none was: for routes that also serve anonymous requests. */
  optionalPrincipal: (c: Context<AppEnv>) => Promise<Principal | undefined>;
};

type Requirement = { roles?: ("user" | "admin")[]; scopes?: string[] };

/**
 * A service's one guard, built once at boot: every route shares its cache of verified tokens.
 * Tokens are verified against `keys` (auth's JWKS, or auth's own key store) and the revoked-session list.
 */
export function createGuard(options: AuthGuardOptions): Guard {
  const verified = createVerifiedTokens();
  const check = { ...options, verified };
  const requiring = (requirement: Requirement): MiddlewareHandler<AppEnv> => {
    return async (c, next) => {
      const principal = await authenticate(check, c.req.header("authorization"));
      if (!allowed(principal, requirement)) throw new ApiError({ code: "FORBIDDEN", message: "Not allowed for this token" });
      c.set("principal", principal);
      await next();
    };
  };
  const user = requiring({ roles: ["user", "admin"] });
  const admin = requiring({ roles: ["admin"] });
  const token = requiring({});
  return {
    requireUser: () => user,
    requireAdmin: () => admin,
    requireScope: (...scopes) => requiring({ scopes }),
    requireAdminOrScope: (...scopes) => requiring({ roles: ["admin"], scopes }),
    requireToken: () => token,
    optionalPrincipal: async (c) => {
      const header = c.req.header("authorization");
      return header ? authenticate(check, header) : undefined;
    },
  };
}

export async function authenticate(options: AuthGuardOptions & { verified?: VerifiedTokens }, authorization: string | undefined): Promise<Principal> {
  const match = authorization?.match(/^Bearer\s+([A-Za-z0-9._~+/-]+=*)$/i);
  if (!match?.[1]) throw unauthorized("Missing bearer token");
  const token = match[1];
  const now = options.clock?.() ?? new Date();
  let payload = await options.verified?.get(token, now, options.keys);
  if (!payload) {
    let verified: Awaited<ReturnType<typeof jwtVerify>> & { key: unknown };
    try {
      verified = await jwtVerify(token, options.keys, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms: SIGNING_ALGORITHMS,
        currentDate: now,
      });
    } catch (error) {
      if (keysUnavailable(error)) throw new ApiError({ code: "UNAVAILABLE", message: "Token keys are unavailable, try again shortly", retryAfter: 5 });
      throw unauthorized(error instanceof errors.JWTExpired ? "Token expired" : "Invalid token");
    }
    payload = verified.payload;
    options.verified?.set(token, verified);
  }
  const scopes = typeof payload.scope === "string" ? payload.scope.split(" ").filter(Boolean) : [];
  if (typeof payload.sub !== "string") throw unauthorized("Invalid token");
  if (typeof payload.sid === "string" && (payload.role === "user" || payload.role === "admin")) {
    await checkSession(options, { userId: payload.sub, sessionId: payload.sid }, payload.iat);
    const authTime = typeof payload.auth_time === "number" ? { authTime: payload.auth_time } : {};
    return { kind: "user", userId: payload.sub, sessionId: payload.sid, role: payload.role, scopes, token, ...authTime };
  }
  if (payload.role === "service") return { kind: "client", clientId: payload.sub, role: "service", scopes, token };
  throw unauthorized("Invalid token");
}

/**
 * A revoked session's tokens are refused. A token the revocation list cannot vouch for (its watch
 * is behind: see watchRevokedSessions) is not taken on trust either: its session is looked up where
 * that is local, and otherwise the answer is 503 until the watch has caught up. Client tokens have
 * no session and never reach here: nothing in the revocation stream can revoke them.
 */
async function checkSession(options: AuthGuardOptions, session: { userId: string; sessionId: string }, issuedAt: unknown) {
  const { revocations } = options;
  if (!revocations) return;
  if (revocations.isRevoked(session.sessionId)) throw unauthorized("Session revoked");
  if (revocations.vouchesFor(typeof issuedAt === "number" ? issuedAt : 0)) return;
  if (options.confirmSession) return options.confirmSession(session);
  throw new ApiError({ code: "UNAVAILABLE", message: "Session revocations are catching up, try again shortly", retryAfter: 5 });
}

type VerifiedTokens = ReturnType<typeof createVerifiedTokens>;

/**
 * Tokens whose signature and claims were verified, so a client's next requests with the same token
 * skip the signature check (the costliest step). A token is only ever the exact string that was
 * verified; expiry and revocation are still checked on every request, and so is its key: a token
 * is served from here only while the key set still gives the very key that verified it, so one
 * whose key left the set (or was replaced) goes back to full verification once the set has been
 * refreshed. Bounded; oldest out first.
 */
function createVerifiedTokens(capacity = 10_000) {
  type Entry = { payload: JWTPayload; header: JWTHeaderParameters; input: FlattenedJWSInput; key: unknown };
  const entries = new Map<string, Entry>();
  return {
    async get(token: string, now: Date, keys: JWTVerifyGetKey): Promise<JWTPayload | undefined> {
      const entry = entries.get(token);
      if (!entry) return undefined;
      const { payload } = entry;
      if (typeof payload.exp !== "number" || payload.exp * 1000 <= now.getTime() || (typeof payload.nbf === "number" && payload.nbf * 1000 > now.getTime())) {
        entries.delete(token);
        return undefined;
      }
      // The key set's own lookup, so it refreshes itself as it would for a new token.
      const key = await Promise.resolve(keys(entry.header, entry.input)).catch(() => undefined);
      if (key !== entry.key) {
        entries.delete(token);
        return undefined;
      }
      return payload;
    },
    set(token: string, verified: { payload: JWTPayload; protectedHeader: JWTHeaderParameters; key: unknown }) {
      if (entries.size >= capacity) entries.delete(entries.keys().next().value as string);
      const [protectedHeader = "", payload = "", signature = ""] = token.split(".");
      entries.set(token, {
        payload: verified.payload,
        header: verified.protectedHeader,
        input: { protected: protectedHeader, payload, signature },
        key: verified.key,
      });
    },
  };
}

/** The key set could not be fetched: a network failure, a timeout, or a response that is not a key set (a proxy's 502 page). */
function keysUnavailable(error: unknown): boolean {
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || error instanceof TypeError) return true;
  // jose throws its plain base class only for a key set response that is not 200 or not JSON.
  return error instanceof errors.JOSEError && error.code === "ERR_JOSE_GENERIC";
}

function allowed(principal: Principal, requirement: Requirement): boolean {
  const { roles, scopes } = requirement;
  if (principal.kind === "user") return roles ? roles.includes(principal.role) : !scopes;
  return scopes ? scopes.every((scope) => principal.scopes.includes(scope)) : !roles;
}

function unauthorized(message: string) {
  return new ApiError({ code: "UNAUTHORIZED", message });
}
