import { bigint, boolean, index, integer, jsonb, numeric, pgSchema, text, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { createdAt, id, outboxTable, timestamptz } from "./columns";

export const aiSchema = pgSchema("ai");

/** Per-key or per-user overrides of the limits (null: the default from config, or the user's for a key). */
export type AiLimits = { rpm?: number; tpm?: number; concurrency?: number };

/** A user's Lodge API key (`lk_…`): only its SHA-256 is kept; the key itself is shown once. */
export const apiKeys = aiSchema.table(
  "api_keys",
  {
    id: id(),
    userId: uuid("user_id").notNull(),
    name: text("name").notNull(),
    /** The key's first characters (`lk_AbCd`), so a user can tell their keys apart. */
    prefix: text("prefix").notNull(),
    /** SHA-256 of the whole key, hex: keys are random (256 bits), so a fast hash is enough. */
    hash: text("hash").notNull(),
    limits: jsonb("limits").$type<AiLimits>().notNull().default({}),
    createdAt: createdAt(),
    expiresAt: timestamptz("expires_at"),
    lastUsedAt: timestamptz("last_used_at"),
    revokedAt: timestamptz("revoked_at"),
  },
  (table) => [uniqueIndex("api_keys_hash_idx").on(table.hash), index("api_keys_user_idx").on(table.userId, table.createdAt)],
);

/** An admin's overrides of one user's limits and budgets (the env's defaults otherwise). */
export const userLimits = aiSchema.table("user_limits", {
  userId: uuid("user_id").primaryKey(),
  rpm: integer("rpm"),
  tpm: integer("tpm"),
  concurrency: integer("concurrency"),
  dailyBudgetUsd: numeric("daily_budget_usd", { precision: 14, scale: 6, mode: "number" }),
  monthlyBudgetUsd: numeric("monthly_budget_usd", { precision: 14, scale: 6, mode: "number" }),
  updatedAt: timestamptz("updated_at").notNull(),
});

/** One upstream call (or cache hit) made for a user: what it used, cost and took. Written in batches. */
export const usage = aiSchema.table(
  "usage",
  {
    /** Chosen when the call starts, so a batch written twice (a retry after a crash) stays one row. */
    id: uuid("id").primaryKey(),
    userId: uuid("user_id").notNull(),
    keyId: uuid("key_id"),
    /** The service client that called for the user (`X-Lodge-User`), null for the user's own calls. */
    clientId: text("client_id"),
    kind: text("kind", { enum: ["chat", "embeddings", "images"] }).notNull(),
    /** The public model alias the caller asked for. */
    model: text("model").notNull(),
    /** The deployment that answered: its provider and upstream model (null when none did). */
    provider: text("provider"),
    deployment: text("deployment"),
    inputTokens: integer("input_tokens").notNull().default(0),
    outputTokens: integer("output_tokens").notNull().default(0),
    cachedTokens: integer("cached_tokens").notNull().default(0),
    /** How the tokens were known: the upstream's usage, or counted with the tokenizer (no usage, a cut stream). */
    tokensFrom: text("tokens_from", { enum: ["upstream", "tokenizer", "none"] }).notNull(),
    costUsd: numeric("cost_usd", { precision: 16, scale: 9, mode: "number" }).notNull().default(0),
    stream: boolean("stream").notNull().default(false),
    cached: boolean("cached").notNull().default(false),
    status: text("status", { enum: ["ok", "error", "cancelled"] }).notNull(),
    /** The HTTP status answered to the caller. */
    httpStatus: integer("http_status").notNull(),
    latencyMs: integer("latency_ms").notNull(),
    /** Time to the first byte of the answer (the first chunk of a stream). */
    firstTokenMs: integer("first_token_ms"),
    requestId: text("request_id"),
    createdAt: timestamptz("created_at").notNull(),
  },
  (table) => [index("usage_user_idx").on(table.userId, table.createdAt), index("usage_created_idx").on(table.createdAt)],
);

/** An async job (POST /ai/jobs): a chat or image request run by a worker with the caller's limits. */
export const jobs = aiSchema.table(
  "jobs",
  {
    id: id(),
    userId: uuid("user_id").notNull(),
    keyId: uuid("key_id"),
    clientId: text("client_id"),
    kind: text("kind", { enum: ["chat", "image"] }).notNull(),
    request: jsonb("request").notNull(),
    status: text("status", { enum: ["queued", "running", "succeeded", "failed", "cancelled"] }).notNull(),
    result: jsonb("result"),
    error: jsonb("error"),
    attempts: bigint("attempts", { mode: "number" }).notNull().default(0),
    createdAt: createdAt(),
    startedAt: timestamptz("started_at"),
    finishedAt: timestamptz("finished_at"),
  },
  (table) => [index("jobs_user_idx").on(table.userId, table.createdAt)],
);

export const aiOutbox = outboxTable(aiSchema);
