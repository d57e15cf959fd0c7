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

/** What admins see of an account: the public view plus its suspension. */
export function adminUser(user: UserRow) {
  return { ...publicUser(user), bannedAt: user.bannedAt?.toISOString() ?? null, bannedReason: user.bannedReason };
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}
