/**
 * AES-256-GCM for secrets the auth service must keep readable at rest (private signing keys, the
 * live refresh token of a rotated session), under a key derived from AUTH_KEY_ENCRYPTION_SECRET.
 * Each sealed value is bound to what it belongs to (a kid, a session), so a copy moved to another
 * row, or to another purpose, does not open.
 */
export type Sealed = { sealed: "A256GCM"; iv: string; data: string };
export type Sealer = { seal: (text: string, boundTo: string) => Promise<Sealed>; open: (sealed: Sealed, boundTo: string) => Promise<string> };

export function createSealer(secret: string): Sealer {
  const key = crypto.subtle
    .digest("SHA-256", new TextEncoder().encode(secret))
    .then((digest) => crypto.subtle.importKey("raw", digest, "AES-GCM", false, ["encrypt", "decrypt"]));
  return {
    async seal(text, boundTo) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const additionalData = new TextEncoder().encode(boundTo);
      const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, await key, new TextEncoder().encode(text));
      return { sealed: "A256GCM", iv: Buffer.from(iv).toString("base64url"), data: Buffer.from(data).toString("base64url") };
    },
    async open(sealed, boundTo) {
      const iv = Buffer.from(sealed.iv, "base64url");
      const additionalData = new TextEncoder().encode(boundTo);
      const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv, additionalData }, await key, Buffer.from(sealed.data, "base64url"));
      return new TextDecoder().decode(plain);
    },
  };
}
