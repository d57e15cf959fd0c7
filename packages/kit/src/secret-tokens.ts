import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/**
 * A random secret token, 256 bits in base64url (43 characters): refresh and one-time tokens, API
 * keys, share links, deep links and invite codes. URL-safe, and within Telegram's 64 characters for
 * a bot's `start` payload.
 */
export function newSecretToken(): string {
  return randomBytes(32).toString("base64url");
}

/**
 * What is stored of a secret token: its SHA-256, hex. Tokens are high-entropy, so a fast hash is
 * enough, and they are found by their hash (an index lookup): the secret itself is never compared.
 */
export function secretTokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Whether `given` is `secret`, in constant time whatever their lengths (their digests are compared). */
export function isSameSecret(given: string, secret: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(secret));
}
