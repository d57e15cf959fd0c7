import { bigint, boolean, index, integer, jsonb, pgSchema, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, outboxTable, timestamptz } from "./columns";

export const userSchema = pgSchema("user");

/** One profile per registered user (created from `user.registered`, or on first read). */
export const profiles = userSchema.table(
  "profiles",
  {
    userId: uuid("user_id").primaryKey(),
    /**
     * Copied from auth's `user.registered`, for admin search; erased with the profile. Null while a
     * profile created on first read waits for that event.
     */
    email: text("email"),
    displayName: text("display_name"),
    bio: text("bio"),
    avatarFileId: uuid("avatar_file_id"),
    locale: text("locale").notNull().default("en"),
    /** IANA name, e.g. Europe/Berlin. */
    timezone: text("timezone").notNull().default("UTC"),
    createdAt: createdAt(),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  },
  (table) => [index("profiles_email_idx").on(table.email), index("profiles_display_name_idx").on(table.displayName)],
);

/** The typed, versioned preferences document of a user. */
export const preferences = userSchema.table("preferences", {
  userId: uuid("user_id").primaryKey(),
  version: integer("version").notNull(),
  document: jsonb("document").notNull(),
  updatedAt: timestamptz("updated_at").notNull().defaultNow(),
});

/** What the file service's events told us about files (to check an avatar without a network call). */
export const knownFiles = userSchema.table(
  "known_files",
  {
    fileId: uuid("file_id").primaryKey(),
    ownerId: uuid("owner_id").notNull(),
    contentType: text("content_type").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    processed: boolean("processed").notNull().default(false),
    createdAt: createdAt(),
  },
  (table) => [index("known_files_owner_idx").on(table.ownerId)],
);

/** An account deletion in progress: which services have yet to confirm they erased the user's data. */
export const deletions = userSchema.table("deletions", {
  userId: uuid("user_id").primaryKey(),
  requestedAt: timestamptz("requested_at").notNull(),
  pending: text("pending").array().notNull(),
  completedAt: timestamptz("completed_at"),
});

export const userOutbox = outboxTable(userSchema);
