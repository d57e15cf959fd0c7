import { z } from "@hono/zod-openapi";
import { jobs, usage } from "@lodge/db/schema";
import { userExportRoutes } from "@lodge/kit";
import type { AiDeps } from "../../deps";
import { exportUser } from "../../services/export-user";

const Limits = z.object({ rpm: z.number().int().optional(), tpm: z.number().int().optional(), concurrency: z.number().int().optional() });

const ExportedKey = z.object({
  id: z.uuid(),
  name: z.string(),
  prefix: z.string().openapi({ description: "The key's first characters (the key itself is never stored, only its hash, which is not exported)" }),
  limits: Limits,
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

const ExportedUsage = z.object({
  id: z.uuid(),
  keyId: z.uuid().nullable(),
  clientId: z.string().nullable(),
  kind: z.enum(usage.kind.enumValues),
  model: z.string(),
  provider: z.string().nullable(),
  deployment: z.string().nullable(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cachedTokens: z.number().int(),
  tokensFrom: z.enum(usage.tokensFrom.enumValues),
  costUsd: z.number(),
  stream: z.boolean(),
  cached: z.boolean(),
  status: z.enum(usage.status.enumValues),
  httpStatus: z.number().int(),
  latencyMs: z.number().int(),
  firstTokenMs: z.number().int().nullable(),
  requestId: z.string().nullable(),
  createdAt: z.string(),
});

const ExportedJob = z.object({
  id: z.uuid(),
  keyId: z.uuid().nullable(),
  clientId: z.string().nullable(),
  kind: z.enum(jobs.kind.enumValues),
  request: z.unknown(),
  status: z.enum(jobs.status.enumValues),
  result: z.unknown(),
  error: z.unknown(),
  attempts: z.number().int(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

const AiExport = z
  .object({
    userId: z.uuid(),
    keys: z.array(ExportedKey),
    limits: z
      .object({
        rpm: z.number().int().nullable(),
        tpm: z.number().int().nullable(),
        concurrency: z.number().int().nullable(),
        dailyBudgetUsd: z.number().nullable(),
        monthlyBudgetUsd: z.number().nullable(),
        updatedAt: z.string(),
      })
      .nullable()
      .openapi({ description: "An admin's overrides of the user's limits and budgets (null: the defaults)" }),
    usage: z.array(ExportedUsage),
    jobs: z.array(ExportedJob),
  })
  .openapi("AiExport");

/** What the user service fetches for a user's data export: everything this service holds about them. */
export function exportRoutes(deps: AiDeps) {
  return userExportRoutes(deps, { prefix: "/ai", scope: "ai:export", summary: "A user's AI keys, limits, usage and jobs", data: AiExport, exportUser });
}
