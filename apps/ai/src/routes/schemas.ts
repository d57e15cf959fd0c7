import { z } from "@hono/zod-openapi";
import type { apiKeys } from "@lodge/db/schema";

export const bearer = [{ bearer: [] }];

const rpm = z.number().int().min(1).max(1_000_000);
const tpm = z.number().int().min(1).max(1_000_000_000);
const concurrency = z.number().int().min(1).max(10_000);
const usd = z.number().min(0).max(1_000_000);

/** A key's own limits, each at most the user's (a higher one is held to the user's). */
export const KeyLimits = z.object({ rpm: rpm.optional(), tpm: tpm.optional(), concurrency: concurrency.optional() }).strict().openapi("AiKeyLimits");

export const ApiKey = z
  .object({
    id: z.uuid(),
    userId: z.uuid(),
    name: z.string(),
    prefix: z.string().openapi({ description: "The key's first characters (`lk_AbCdEfGh`), to tell keys apart", example: "lk_AbCdEfGh" }),
    limits: KeyLimits,
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().openapi({ description: "Updated at most once a minute" }),
    revokedAt: z.string().nullable(),
  })
  .openapi("AiApiKey");

export const keyView = (row: typeof apiKeys.$inferSelect): z.infer<typeof ApiKey> => ({
  id: row.id,
  userId: row.userId,
  name: row.name,
  prefix: row.prefix,
  limits: row.limits,
  createdAt: row.createdAt.toISOString(),
  expiresAt: row.expiresAt?.toISOString() ?? null,
  lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  revokedAt: row.revokedAt?.toISOString() ?? null,
});

/** A user's limits and budgets; null: the default from config. */
export const UserOverrides = z
  .object({
    rpm: rpm.nullable(),
    tpm: tpm.nullable(),
    concurrency: concurrency.nullable(),
    dailyBudgetUsd: usd.nullable(),
    monthlyBudgetUsd: usd.nullable(),
  })
  .openapi("AiUserOverrides");

export const EffectiveLimits = z
  .object({ rpm: z.number(), tpm: z.number(), concurrency: z.number(), dailyBudgetUsd: z.number(), monthlyBudgetUsd: z.number() })
  .openapi("AiEffectiveLimits");

/** A usage report's period and grouping: `from` (inclusive) to `to` (exclusive), 30 days up to now unless given, at most 366 days. */
export const UsageQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).optional().openapi({ description: "Start (inclusive); default 30 days before `to`" }),
    to: z.iso.datetime({ offset: true }).optional().openapi({ description: "End (exclusive); default now" }),
    groupBy: z.enum(["day", "model", "key"]).default("day"),
  })
  .strict();

const Totals = {
  requests: z.number(),
  cachedRequests: z.number().openapi({ description: "Requests answered from Lodge's response cache (part of requests; they cost nothing)" }),
  inputTokens: z.number(),
  outputTokens: z.number(),
  cachedTokens: z.number().openapi({ description: "Input tokens served from the provider's prompt cache (part of inputTokens)" }),
  costUsd: z.number(),
};

export const UsageReport = z
  .object({
    from: z.string(),
    to: z.string(),
    groupBy: z.enum(["day", "model", "key"]),
    groups: z.array(
      z.object({
        key: z.string().nullable().openapi({ description: "The UTC day, the model alias, or the API key's id (null: calls without a key)" }),
        ...Totals,
      }),
    ),
    total: z.object(Totals),
  })
  .openapi("AiUsageReport");
