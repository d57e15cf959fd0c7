import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** A random token for a deep link or an invite code: 24 bytes, base64url (32 characters, within Telegram's 64 for `start`). */
export function newSecretToken(): string {
  return randomBytes(24).toString("base64url");
}

/** How tokens and codes are stored and looked up: their SHA-256, hex (a lookup by hash needs no constant-time compare). */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Telegram's `start` payload: 1 to 64 of A-Z a-z 0-9 _ -. */
export const startPayload = /^[\w-]{1,64}$/;

/** Whether `given` is the secret, in constant time (both hashed first: equal lengths, and no length leaked). */
export function isSameSecret(given: string, secret: string): boolean {
  const digest = (value: string) => createHash("sha256").update(value).digest();
  return timingSafeEqual(digest(given), digest(secret));
}

/** The t.me link that opens a private chat with the bot and sends `/start <payload>` when the person presses Start. */
export function deepLink(botUsername: string, payload: string): string {
  return `https://t.me/${botUsername}?start=${payload}`;
}
