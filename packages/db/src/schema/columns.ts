import { createHash } from "node:crypto";
import type { PgSchema } from "drizzle-orm/pg-core";
import { customType, jsonb, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { uuidv7 } from "uuidv7";

export const id = () =>
  uuid("id")
    .primaryKey()
    .$defaultFn(() => uuidv7());

export const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

/**
 * Text compared byte by byte (`collate "C"`): for keys only looked up by equality and never sorted
 * for users (equality is the same under any deterministic collation), so their comparisons and
 * index builds are a memcmp instead of the database's collation. Every statement comparing such a
 * column with other text compares under "C" too (a mismatch of implicit collations is an error).
 */
export const byteText = customType<{ data: string }>({ dataType: () => 'text collate "C"' });

export const createdAt = () => timestamptz("created_at").notNull().defaultNow();

/** Each service's transactional outbox: events written in the same transaction as the change. */
export const outboxTable = (schema: PgSchema) =>
  schema.table("outbox", {
    id: id(),
    type: text("type").notNull(),
    data: jsonb("data").notNull(),
    requestId: text("request_id"),
    createdAt: createdAt(),
  });

/**
 * A service's record of the users whose data it erased, by `erasedUserKey` (so no row names them
 * once they are gone): an event about them that arrives late (a redelivered `user.registered`)
 * stores nothing again.
 */
export const erasedUsersTable = (schema: PgSchema) =>
  schema.table("erased_users", {
    userKey: text("user_key").primaryKey(),
    erasedAt: timestamptz("erased_at").notNull().defaultNow(),
  });

/** How an erased-users table names a user: the SHA-256 of the id, hex. */
export function erasedUserKey(userId: string): string {
  return createHash("sha256").update(userId).digest("hex");
}
