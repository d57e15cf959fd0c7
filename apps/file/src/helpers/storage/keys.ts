/**
 * The layout of storage keys. New objects live under their owner's prefix (`users/<ownerId>/`),
 * so erasure can drop everything a user has, including objects no row lists. Rows keep the key
 * they were written with, so objects from before (`files/<id>`, `uploads/<id>/...`,
 * `variants/<fileId>/...`) are still read and deleted through their rows, and the sweeper recognises
 * both layouts.
 */
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function userPrefix(ownerId: string) {
  const id = ownerId.toLowerCase();
  if (!uuid.test(id)) throw new Error(`not a user id: ${JSON.stringify(ownerId)}`);
  return `users/${id}/`;
}

export const fileKey = (ownerId: string, fileId: string) => `${userPrefix(ownerId)}files/${fileId}`;
export const uploadPrefix = (ownerId: string, uploadId: string) => `${userPrefix(ownerId)}uploads/${uploadId}/`;
export const variantPrefix = (ownerId: string, fileId: string) => `${userPrefix(ownerId)}variants/${fileId}/`;

/** A rendering's key: one per canonical parameter set (hashed, so it is a safe key segment). */
export const variantKey = (ownerId: string, fileId: string, key: string) =>
  `${variantPrefix(ownerId, fileId)}${new Bun.CryptoHasher("sha256").update(key).digest("hex").slice(0, 32)}`;

/** Where a file's variants may be, in either layout (those from before per-user keys lie outside the owner's prefix). */
export const variantPrefixes = (ownerId: string, fileId: string) => [variantPrefix(ownerId, fileId), `variants/${fileId}/`];

/** What a key belongs to, by layout (current or legacy); undefined for a key this service did not lay out. */
export type KeyOwner = { kind: "file"; fileId: string } | { kind: "upload"; uploadId: string } | { kind: "variant"; fileId: string };

// Group 1 is the owner (absent in the legacy layout), group 2 the file or upload; both must be UUIDs.
const layouts: [RegExp, (match: RegExpMatchArray) => KeyOwner][] = [
  [/^(?:users\/([0-9a-f-]{36})\/)?files\/([0-9a-f-]{36})$/, (m) => ({ kind: "file", fileId: m[2] as string })],
  [/^(?:users\/([0-9a-f-]{36})\/)?uploads\/([0-9a-f-]{36})\/[^/]+$/, (m) => ({ kind: "upload", uploadId: m[2] as string })],
  [/^(?:users\/([0-9a-f-]{36})\/)?variants\/([0-9a-f-]{36})\/[^/]+$/, (m) => ({ kind: "variant", fileId: m[2] as string })],
];

export function ownerOfKey(key: string): KeyOwner | undefined {
  for (const [pattern, owner] of layouts) {
    const match = key.match(pattern);
    if (match?.slice(1).every((id) => id === undefined || uuid.test(id))) return owner(match);
  }
  return undefined;
}
