import type { PgSchema } from "drizzle-orm/pg-core";
import { jsonb, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { uuidv7 } from "uuidv7";

export const id = () =>
  uuid("id")
    .primaryKey()
    .$defaultFn(() => uuidv7());

export const timestamptz = (name: string) => timestamp(name, { withTimezone: true, mode: "date" });

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
