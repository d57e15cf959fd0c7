import type { EventBus } from "@lodge/events";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import { ACCESS_TOKEN_TTL_SECONDS } from "./auth";

type SigningKey = { kid: string; alg: "EdDSA" | "ES256"; privateKey: CryptoKey; publicJwk: JWK };

async function createSigningKey(alg: SigningKey["alg"]): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const kid = crypto.randomUUID();
  return { kid, alg, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/**
 * What a test may change about a token to see it refused: another issuer or audience, a time of
 * issue in the past (an expired token), or a key the JWKS does not publish (a forged one).
 */
export type TokenVariant = { issuer?: string; audience?: string; issuedAt?: Date; unpublishedKey?: boolean };

/** A user token's subject and session (fresh ones unless given), role and time of sign-in (now unless given). */
export type TestAccount = { id?: string; sessionId?: string; role?: "user" | "admin"; authTime?: Date };

export type TestIssuer = Awaited<ReturnType<typeof startTestIssuer>>;

/**
 * The auth service's tokens without the auth service: a key pair made in process, its public half
 * served as a JWKS on a local port (point a service's JWKS_URL at `jwksUrl`), and access tokens
 * signed as auth signs them (same claims, header, algorithm and lifetime) for users, admins and
 * service clients. `clock` is the service's test clock, so tokens age with it.
 */
export async function startTestIssuer(options: { issuer?: string; audience?: string; alg?: SigningKey["alg"]; clock?: () => Date } = {}) {
  const issuer = options.issuer ?? "lodge";
  const audience = options.audience ?? "lodge";
  const clock = options.clock ?? (() => new Date());
  const key = await createSigningKey(options.alg ?? "EdDSA");
  // Same kid as the published key: only the signature tells a forged token apart.
  const unpublished = { ...(await createSigningKey(key.alg)), kid: key.kid };
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: (request) =>
      new URL(request.url).pathname === "/.well-known/jwks.json" ? Response.json({ keys: [key.publicJwk] }) : new Response("Not Found", { status: 404 }),
  });

  /** Signs `claims` for `subject` as the auth service's key store does. */
  function sign(claims: Record<string, unknown>, subject: string, variant: TokenVariant = {}) {
    const signer = variant.unpublishedKey ? unpublished : key;
    const now = Math.floor((variant.issuedAt ?? clock()).getTime() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: signer.alg, kid: signer.kid, typ: "JWT" })
      .setSubject(subject)
      .setIssuer(variant.issuer ?? issuer)
      .setAudience(variant.audience ?? audience)
      .setIssuedAt(now)
      .setExpirationTime(now + ACCESS_TOKEN_TTL_SECONDS)
      .sign(signer.privateKey);
  }

  /** A signed-in user's access token (a fresh id and session unless given), as auth issues at login. */
  async function user(account: TestAccount & TokenVariant = {}) {
    const id = account.id ?? Bun.randomUUIDv7();
    const sessionId = account.sessionId ?? Bun.randomUUIDv7();
    const authTime = Math.floor((account.authTime ?? account.issuedAt ?? clock()).getTime() / 1000);
    const token = await sign({ sid: sessionId, role: account.role ?? "user", auth_time: authTime }, id, account);
    return { id, sessionId, token };
  }

  return {
    issuer,
    audience,
    jwksUrl: `http://127.0.0.1:${server.port}/.well-known/jwks.json`,
    sign,
    user,
    admin: (account: Omit<TestAccount, "role"> & TokenVariant = {}) => user({ ...account, role: "admin" }),
    /** A service client's token with these scopes, as auth issues for client credentials. */
    client: (clientId: string, scopes: string[], variant: TokenVariant = {}) => sign({ role: "service", scope: scopes.join(" ") }, clientId, variant),
    /** Revokes a session as auth does: an `auth.session_revoked` event on the bus, which every service watches. */
    revoke: (bus: EventBus, session: { id: string; sessionId: string }) =>
      bus.publish("auth.session_revoked", { userId: session.id, sessionIds: [session.sessionId], reason: "revoked" }),
    stop: () => server.stop(true),
  };
}
