import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

/**
 * AES-256-GCM for secrets the auth service must keep readable at rest (private signing keys, the
 * live refresh token of a rotated session), under a key derived from AUTH_KEY_ENCRYPTION_SECRET.
 * Each sealed value is bound to what it belongs to (a kid, a token's hash), so a copy moved to
 * another row, or to another purpose, does not open. `data` is the ciphertext followed by the
 * 16-byte tag, as WebCrypto writes it (node:crypto here: a refresh pays a third of the time).
 */
export type Sealed = { sealed: "A256GCM"; iv: string; data: string };
export type Sealer = { seal: (text: string, boundTo: string) => Promise<Sealed>; open: (sealed: Sealed, boundTo: string) => Promise<string> };

const TAG_BYTES = 16;

export function createSealer(secret: string): Sealer {
  const key = createHash("sha256").update(secret).digest();
  return {
    async seal(text, boundTo) {
      const iv = randomBytes(12);
      const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(Buffer.from(boundTo));
      const data = Buffer.concat([cipher.update(text, "utf8"), cipher.final(), cipher.getAuthTag()]);
      return { sealed: "A256GCM", iv: iv.toString("base64url"), data: data.toString("base64url") };
    },
    async open(sealed, boundTo) {
      const data = Buffer.from(sealed.data, "base64url");
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(sealed.iv, "base64url")).setAAD(Buffer.from(boundTo));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      return Buffer.concat([decipher.update(data.subarray(0, data.length - TAG_BYTES)), decipher.final()]).toString("utf8");
    },
  };
}
