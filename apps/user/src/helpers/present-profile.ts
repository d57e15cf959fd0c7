import type { profiles } from "@lodge/db/schema";
import type { UserConfig } from "../config";

type ProfileRow = typeof profiles.$inferSelect;

/** Ready-to-use avatar URLs on the public origin: the original and a 128×128 WebP the file service renders once and caches. */
export function avatarOf(fileId: string | null, config: UserConfig) {
  if (!fileId) return null;
  const url = `${config.publicBaseUrl}/files/${fileId}/content`;
  return { fileId, url, smallUrl: `${url}?w=128&h=128&fit=cover&format=webp` };
}

/** The owner's view of their profile. */
export function ownProfile(row: ProfileRow, config: UserConfig) {
  return {
    id: row.userId,
    email: row.email,
    displayName: row.displayName,
    bio: row.bio,
    avatar: avatarOf(row.avatarFileId, config),
    locale: row.locale,
    timezone: row.timezone,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** What anyone signed in may see of a user: no email, locale or timezone. */
export function publicProfile(row: ProfileRow, config: UserConfig) {
  return { id: row.userId, displayName: row.displayName, bio: row.bio, avatar: avatarOf(row.avatarFileId, config), createdAt: row.createdAt.toISOString() };
}

/** What admins see in search results. */
export function adminProfile(row: ProfileRow, config: UserConfig) {
  return { ...publicProfile(row, config), email: row.email, updatedAt: row.updatedAt.toISOString() };
}
