import { sql } from "drizzle-orm";
import { index, jsonb, pgSchema, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, outboxTable, timestamptz } from "./columns";

export const authSchema = pgSchema("auth");

export const roleEnum = authSchema.enum("role", ["user", "admin"]);

export const users = authSchema.table(
  "users",
  {
    id: id(),
    /** Stored lowercased and trimmed; unique. */
    email: text("email").notNull(),
    name: text("name"),
    passwordHash: text("password_hash").notNull(),
    role: roleEnum("role").notNull().default("user"),
    emailVerifiedAt: timestamptz("email_verified_at"),
    /** A banned user cannot log in or refresh; set and cleared by admins. */
    bannedAt: timestamptz("banned_at"),
    bannedReason: text("banned_reason"),
    createdAt: createdAt(),
    updatedAt: timestamptz("updated_at").notNull().defaultNow(),
  },
  (table) => [uniqueIndex("users_email_key").on(table.email)],
);

export const sessions = authSchema.table(
  "sessions",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    ip: text("ip"),
    userAgent: text("user_agent"),
    createdAt: createdAt(),
    lastUsedAt: timestamptz("last_used_at").notNull().defaultNow(),
    expiresAt: timestamptz("expires_at").notNull(),
    revokedAt: timestamptz("revoked_at"),
    revokedReason: text("revoked_reason"),
    /** When the user last proved who they are in this session (password at login or registration): signed as `auth_time`, kept by refresh. */
    authTime: timestamptz("auth_time").notNull(),
  },
  (table) => [index("sessions_user_id_idx").on(table.userId)],
);

/**
 * Opaque refresh tokens: a SHA-256 of each is stored. A spent token keeps its row for reuse
 * detection. A session has one live (unspent) token at a time; the one issued by a rotation is also
 * kept sealed, so a spent token replayed within the grace window is answered with it.
 */
export const refreshTokens = authSchema.table(
  "refresh_tokens",
  {
    id: id(),
    sessionId: uuid("session_id")
      .notNull()
      .references(() => sessions.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    createdAt: createdAt(),
    expiresAt: timestamptz("expires_at").notNull(),
    spentAt: timestamptz("spent_at"),
    /** The token itself, encrypted with the key-encryption secret, while it is live (cleared when spent). */
    sealed: text("sealed"),
  },
  (table) => [
    uniqueIndex("refresh_tokens_hash_key").on(table.tokenHash),
    index("refresh_tokens_session_idx").on(table.sessionId),
    uniqueIndex("refresh_tokens_live_key").on(table.sessionId).where(sql`${table.spentAt} is null`),
  ],
);

export const tokenPurposeEnum = authSchema.enum("token_purpose", ["password_reset", "email_verification"]);

/** Single-use, expiring tokens mailed to users (password reset, email verification); hashed. */
export const oneTimeTokens = authSchema.table(
  "one_time_tokens",
  {
    id: id(),
    userId: uuid("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    purpose: tokenPurposeEnum("purpose").notNull(),
    tokenHash: text("token_hash").notNull(),
    /** For email verification: the address being verified. */
    email: text("email").notNull(),
    createdAt: createdAt(),
    expiresAt: timestamptz("expires_at").notNull(),
    usedAt: timestamptz("used_at"),
  },
  (table) => [uniqueIndex("one_time_tokens_hash_key").on(table.tokenHash)],
);

export const auditLog = authSchema.table(
  "audit_log",
  {
    id: id(),
    at: timestamptz("at").notNull().defaultNow(),
    userId: uuid("user_id"),
    actorId: uuid("actor_id"),
    action: text("action").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    details: jsonb("details"),
  },
  (table) => [index("audit_log_user_idx").on(table.userId, table.at), index("audit_log_at_idx").on(table.at)],
);

/** Token signing keys. The newest key signs once it has been published long enough; older ones stay published until their tokens expire. */
export const signingKeys = authSchema.table("signing_keys", {
  kid: text("kid").primaryKey(),
  alg: text("alg").notNull(),
  publicJwk: jsonb("public_jwk").notNull(),
  privateJwk: jsonb("private_jwk").notNull(),
  createdAt: createdAt(),
});

/** Machine clients for the client-credentials grant. */
export const serviceClients = authSchema.table(
  "service_clients",
  {
    id: id(),
    clientId: text("client_id").notNull(),
    name: text("name").notNull(),
    secretHash: text("secret_hash").notNull(),
    scopes: text("scopes").array().notNull().default(sql`'{}'::text[]`),
    createdAt: createdAt(),
    revokedAt: timestamptz("revoked_at"),
  },
  (table) => [uniqueIndex("service_clients_client_id_key").on(table.clientId)],
);

export const authOutbox = outboxTable(authSchema);
