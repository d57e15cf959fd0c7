import type { Db } from "@lodge/db";
import { signingKeys } from "@lodge/db/schema";
import { desc, eq } from "drizzle-orm";
import { createLocalJWKSet, exportJWK, generateKeyPair, importJWK, type JWK, type JWTVerifyGetKey, SignJWT } from "jose";
import type { Sealed, Sealer } from "./sealing";

const ALG = "EdDSA";
const REFRESH_MS = 5000;

type KeyRow = typeof signingKeys.$inferSelect;
export type KeyStore = ReturnType<typeof createKeyStore>;

/**
 * Signing keys live in Postgres so every instance signs with the same key. The newest key signs
 * once it has been published for `publishDelaySeconds`; the key it replaced stays in the JWKS
 * until the last token it signed has expired.
 */
export function createKeyStore(options: { db: Db; clock: () => Date; publishDelaySeconds: number; accessTtlSeconds: number; sealer: Sealer }) {
  const { db, clock, sealer } = options;
  let cache: KeyRow[] | undefined;
  const privateKeys = new Map<string, CryptoKey>();

  async function reload(): Promise<KeyRow[]> {
    cache = await db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt));
    return cache;
  }

  // Refreshed in the background (keys rotated by another instance or the CLI show up within
  // seconds), so signing inside a transaction never waits on a second database connection.
  const refresher = setInterval(() => void reload().catch(() => {}), REFRESH_MS);
  refresher.unref();

  async function rows(): Promise<KeyRow[]> {
    return cache ?? reload();
  }

  /** Adds a key. Used at first boot (when there is none) and by `keys:rotate`. */
  async function rotate(): Promise<string> {
    const { publicKey, privateKey } = await generateKeyPair(ALG, { crv: "Ed25519", extractable: true });
    const kid = crypto.randomUUID();
    await db.insert(signingKeys).values({
      kid,
      alg: ALG,
      publicJwk: await exportJWK(publicKey),
      privateJwk: await sealer.seal(JSON.stringify(await exportJWK(privateKey)), kid),
      createdAt: clock(),
    });
    await reload();
    return kid;
  }

  async function ensureKey() {
    if ((await rows()).length === 0) await rotate();
  }

  function activeIndex(all: KeyRow[]): number {
    const cutoff = clock().getTime() - options.publishDelaySeconds * 1000;
    const index = all.findIndex((row) => row.createdAt.getTime() <= cutoff);
    return index === -1 ? all.length - 1 : index;
  }

  /** Keys a verifier may meet: the newer (pending) ones, the active one, and older ones whose tokens can still be alive. */
  async function publishedKeys(): Promise<KeyRow[]> {
    const all = await rows();
    const active = activeIndex(all);
    const now = clock().getTime();
    return all.filter((_, index) => {
      if (index <= active) return true;
      const successor = all[index - 1] as KeyRow;
      const retiredAt = successor.createdAt.getTime() + options.publishDelaySeconds * 1000;
      return retiredAt + options.accessTtlSeconds * 1000 > now;
    });
  }

  const toJwks = (published: KeyRow[]) => ({ keys: published.map((row) => ({ ...(row.publicJwk as JWK), kid: row.kid, alg: row.alg, use: "sig" })) });

  async function jwks(): Promise<{ keys: JWK[] }> {
    return toJwks(await publishedKeys());
  }

  async function sign(claims: Record<string, unknown>, token: { subject: string; audience: string; issuer: string; ttlSeconds: number }) {
    const all = await rows();
    const row = all[activeIndex(all)];
    if (!row) throw new Error("no signing key");
    let key = privateKeys.get(row.kid);
    if (!key) {
      key = (await importJWK(await unseal(row.privateJwk as StoredJwk, row.kid, sealer), row.alg)) as CryptoKey;
      privateKeys.set(row.kid, key);
    }
    const now = Math.floor(clock().getTime() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: row.alg, kid: row.kid, typ: "JWT" })
      .setSubject(token.subject)
      .setIssuer(token.issuer)
      .setAudience(token.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + token.ttlSeconds)
      .sign(key);
  }

  /**
   * Verification inside the auth service itself: the same published keys, no HTTP round trip. The
   * local key set is rebuilt only when the published kids change (a kid always names the same key),
   * so jose imports each public key once instead of on every request.
   */
  let localSet: { kids: string; get: JWTVerifyGetKey } | undefined;
  const verifier: JWTVerifyGetKey = async (header, token) => {
    const published = await publishedKeys();
    const kids = published.map((row) => row.kid).join(" ");
    if (localSet?.kids !== kids) localSet = { kids, get: createLocalJWKSet(toJwks(published)) };
    return localSet.get(header, token);
  };

  /** Keys no longer published can go (the maintenance job calls this). */
  async function pruneRetired() {
    const published = new Set((await publishedKeys()).map((row) => row.kid));
    const retired = (await rows()).filter((row) => !published.has(row.kid));
    for (const row of retired) {
      await db.delete(signingKeys).where(eq(signingKeys.kid, row.kid));
      privateKeys.delete(row.kid);
    }
    await reload();
    return retired.length;
  }

  return { ensureKey, rotate, jwks, sign, verifier, pruneRetired, stop: () => clearInterval(refresher) };
}

type StoredJwk = Sealed | JWK;

/** Opens a sealed key; a key stored before sealing existed is used as it is. */
async function unseal(stored: StoredJwk, kid: string, sealer: Sealer): Promise<JWK> {
  if (!("sealed" in stored)) return stored;
  return JSON.parse(await sealer.open(stored, kid)) as JWK;
}
