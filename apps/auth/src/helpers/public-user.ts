import type { users } from "@lodge/db/schema";

type UserRow = typeof users.$inferSelect;

/** The user as clients see it: never the password hash. */
export function publicUser(user: Pick<UserRow, "id" | "email" | "name" | "role" | "emailVerifiedAt" | "createdAt">) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    emailVerified: user.emailVerifiedAt !== null,
    createdAt: user.createdAt.toISOString(),
  };
}

/** A user row as a hand-written statement returns it (timestamps as the driver gives them). */
export type RawUserRow = { id: string; email: string; name: string | null; role: "user" | "admin"; email_verified_at: string | null; created_at: string };

export function publicUserOfRow(row: RawUserRow) {
  return publicUser({
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    emailVerifiedAt: row.email_verified_at === null ? null : new Date(row.email_verified_at),
    createdAt: new Date(row.created_at),
  });
}

/** What admins see of an account: the public view plus its suspension. */
export function adminUser(user: UserRow) {
  return { ...publicUser(user), bannedAt: user.bannedAt?.toISOString() ?? null, bannedReason: user.bannedReason };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
