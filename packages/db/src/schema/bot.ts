import { bigint, index, integer, pgSchema, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, erasedUsersTable, id, outboxTable, timestamptz } from "./columns";

export const botSchema = pgSchema("bot");

/** A Telegram chat linked to a Lodge user: one chat per user and one user per chat (re-linking moves it). */
export const botLinks = botSchema.table(
  "links",
  {
    userId: uuid("user_id").primaryKey(),
    /** Telegram's chat id (up to 52 bits). */
    chatId: bigint("chat_id", { mode: "number" }).notNull(),
    /** The chat's Telegram username and Telegram's language code, as of the link. */
    username: text("username"),
    languageCode: text("language_code"),
    /** The user's role (`user` or `admin`, from the linking token's, then `auth.role_changed`): admins may use /invite. */
    role: text("role").notNull().default("user"),
    /** The user's language from their preferences (kept from `user.preferences_updated`); null: Telegram's language code. */
    language: text("language"),
    /** The `user.preferences_updated` version `language` is from (an older event arriving late changes nothing). */
    preferencesVersion: integer("preferences_version").notNull().default(0),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex("links_chat_id_idx").on(table.chatId)],
);

/** A single-use deep-link token (`/start <token>`) a user made from the web; only its SHA-256 is kept. */
export const linkTokens = botSchema.table(
  "link_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    userId: uuid("user_id").notNull(),
    /** The role the user's token carried when they asked for the link. */
    role: text("role").notNull(),
    expiresAt: timestamptz("expires_at").notNull(),
    createdAt: createdAt(),
  },
  (table) => [index("link_tokens_user_id_idx").on(table.userId)],
);

/** An invite code admitting chats to an invite-only bot; only its SHA-256 is kept, uses are counted atomically. */
export const botInvites = botSchema.table(
  "invites",
  {
    id: id(),
    codeHash: text("code_hash").notNull(),
    /** The code's last characters, to tell codes apart in lists. */
    hint: text("hint").notNull(),
    maxUses: integer("max_uses").notNull(),
    uses: integer("uses").notNull().default(0),
    expiresAt: timestamptz("expires_at"),
    note: text("note"),
    /** The admin who made it (a user id: on the web, or with /invite from their linked chat); null when made by the service itself. */
    createdBy: uuid("created_by"),
    revokedAt: timestamptz("revoked_at"),
    createdAt: createdAt(),
  },
  (table) => [uniqueIndex("invites_code_hash_idx").on(table.codeHash)],
);

/** Chats admitted to an invite-only bot, and by which invite (the audit of invite use). */
export const admittedChats = botSchema.table(
  "admitted_chats",
  {
    chatId: bigint("chat_id", { mode: "number" }).primaryKey(),
    inviteId: uuid("invite_id")
      .notNull()
      .references(() => botInvites.id, { onDelete: "cascade" }),
    /** Who sent the code (Telegram's user id) and their username then. */
    telegramUserId: bigint("telegram_user_id", { mode: "number" }).notNull(),
    username: text("username"),
    createdAt: createdAt(),
  },
  (table) => [index("admitted_chats_invite_id_idx").on(table.inviteId)],
);

/** Users whose data this service erased (see erasedUsersTable). */
export const botErasedUsers = erasedUsersTable(botSchema);

export const botOutbox = outboxTable(botSchema);
