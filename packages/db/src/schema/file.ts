import { bigint, boolean, index, integer, jsonb, pgSchema, primaryKey, text, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, outboxTable, timestamptz } from "./columns";

export const fileSchema = pgSchema("file");

/** A stored file. Only complete uploads get a row. */
export const files = fileSchema.table(
  "files",
  {
    id: id(),
    ownerId: uuid("owner_id").notNull(),
    /** The sanitised display name (never used as a storage path). */
    name: text("name").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    /** Sniffed from the bytes, not trusted from the client. */
    contentType: text("content_type").notNull(),
    sha256: text("sha256").notNull(),
    storageKey: text("storage_key").notNull(),
    public: boolean("public").notNull().default(false),
    /** Who made it public (`owner`, `admin` or `client:<clientId>`), so a service takes back only what it published; null while private. */
    publishedBy: text("published_by"),
    /** Image dimensions when the file is an image. */
    width: integer("width"),
    height: integer("height"),
    createdAt: createdAt(),
  },
  (table) => [index("files_owner_idx").on(table.ownerId, table.createdAt)],
);

/** Rendered image variants, each stored once and served from storage afterwards. */
export const variants = fileSchema.table(
  "variants",
  {
    fileId: uuid("file_id")
      .notNull()
      .references(() => files.id, { onDelete: "cascade" }),
    /** The canonical parameters, e.g. `w=128,h=128,fit=cover,format=webp,q=80`. */
    key: text("key").notNull(),
    storageKey: text("storage_key").notNull(),
    contentType: text("content_type").notNull(),
    size: bigint("size", { mode: "number" }).notNull(),
    createdAt: createdAt(),
  },
  (table) => [primaryKey({ columns: [table.fileId, table.key] })],
);

/** Resumable (tus) uploads in progress; a row becomes a file when its last byte arrives. */
export const uploads = fileSchema.table(
  "uploads",
  {
    id: id(),
    ownerId: uuid("owner_id").notNull(),
    length: bigint("length", { mode: "number" }).notNull(),
    offset: bigint("offset", { mode: "number" }).notNull().default(0),
    metadata: jsonb("metadata").notNull().default({}),
    storageKey: text("storage_key").notNull(),
    createdAt: createdAt(),
    expiresAt: timestamptz("expires_at").notNull(),
  },
  (table) => [index("uploads_owner_idx").on(table.ownerId), index("uploads_expires_idx").on(table.expiresAt)],
);

export const fileOutbox = outboxTable(fileSchema);
