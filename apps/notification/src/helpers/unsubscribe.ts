import { createHmac, timingSafeEqual } from "node:crypto";
import { type Category, categories, lockedCategories } from "../catalog/index";
import type { SendRendered } from "../channels/types";
import type { NotificationConfig } from "../config";

/** What an unsubscribe link turns off: these categories' email, for this user. */
export type Unsubscription = { userId: string; categories: Category[] };

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** A token's shape: base64url payload, a dot, base64url signature (SHA-256: 43 characters). */
export const unsubscribeTokenPattern = /^[A-Za-z0-9_-]{1,200}\.[A-Za-z0-9_-]{43}$/;

// The signed text names its purpose and the channel, so this key's signatures mean nothing elsewhere.
const signed = (payload: string) => `lodge-unsubscribe-v1\n${payload}\nemail`;
const signatureOf = (secret: string, payload: string) => createHmac("sha256", secret).update(signed(payload)).digest();

/**
 * `<payload>.<signature>`: the payload is `<userId>:<category>[,<category>...]` in base64url, the
 * signature HMAC-SHA256 over it (and the channel, email) with NOTIFICATION_UNSUBSCRIBE_SECRET. It
 * never expires (RFC 8058 links are followed long after the mail came) and cannot be made without
 * the secret; it names exactly the user and categories it turns off.
 */
export function signUnsubscribe(secret: string, unsubscription: Unsubscription): string {
  const payload = Buffer.from(`${unsubscription.userId}:${[...unsubscription.categories].sort().join(",")}`).toString("base64url");
  return `${payload}.${signatureOf(secret, payload).toString("base64url")}`;
}

/** What a token turns off, or null when it was not signed with the secret (forged, tampered, truncated) or names no category that can be turned off. */
export function verifyUnsubscribe(secret: string, token: string): Unsubscription | null {
  if (!unsubscribeTokenPattern.test(token)) return null;
  const [payload = "", signature = ""] = token.split(".");
  const given = Buffer.from(signature, "base64url");
  const expected = signatureOf(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  const [userId = "", named = ""] = Buffer.from(payload, "base64url").toString().split(":");
  const listed = named.split(",");
  if (!uuid.test(userId) || !listed.every((category) => isOptional(category))) return null;
  return { userId, categories: listed as Category[] };
}

const isOptional = (category: string) => (categories as readonly string[]).includes(category) && !lockedCategories.includes(category as Category);

/** The public one-click link of an unsubscription (List-Unsubscribe, and the page behind it). */
export function unsubscribeUrl(config: NotificationConfig, unsubscription: Unsubscription): string {
  return `${config.unsubscribe.publicUrl}/notifications/unsubscribe?token=${signUnsubscribe(config.unsubscribe.secret, unsubscription)}`;
}

/**
 * The rendered message with its email's unsubscribe link, when the message is about categories a
 * user may turn off (critical mail, whose categories are passed empty, never carries one).
 */
export function withUnsubscribe(config: NotificationConfig, rendered: SendRendered, unsubscription: Unsubscription): SendRendered {
  if (unsubscription.categories.length === 0) return rendered;
  return { ...rendered, email: { ...rendered.email, unsubscribeUrl: unsubscribeUrl(config, unsubscription) } };
}
