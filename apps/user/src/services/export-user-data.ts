import { knownFiles } from "@lodge/db/schema";
import { asc, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { ownProfile } from "../helpers/present-profile";
import { ensureProfile } from "./ensure-profile";
import { getPreferences } from "./get-preferences";

/**
 * The user's data from every service, as one document (GDPR access): this service's profile,
 * preferences and the files it knows of; auth's account, sessions and audit entries
 * (GET /auth/users/:id/export, scope `users:export`); the file service's files
 * (GET /files/export/:userId, scope `files:export`); the notification service's inbox, deliveries
 * and address copy (GET /notifications/export/:userId, scope `notifications:export`); the AI service's
 * keys, limits, usage and jobs (GET /ai/export/:userId, scope `ai:export`); the analytics service's owned
 * sites and events tied to the user (GET /analytics/export/:userId, scope `analytics:export`); the bot service's Telegram link and
 * conversation (GET /bot/export/:userId, scope `bot:export`). All or nothing: if a service cannot answer,
 * the export is a 503 rather than an incomplete document.
 */
export async function exportUserData({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const profile = await ensureProfile({ ctx, input });
  const [preferences, files, auth, file, notification, ai, analytics, bot] = await Promise.all([
    getPreferences({ ctx, input }),
    ctx.deps.db.select().from(knownFiles).where(eq(knownFiles.ownerId, input.userId)).orderBy(asc(knownFiles.createdAt)),
    fetchExport(ctx, "auth", `/auth/users/${input.userId}/export`),
    fetchExport(ctx, "file", `/files/export/${input.userId}`),
    fetchExport(ctx, "notification", `/notifications/export/${input.userId}`),
    fetchExport(ctx, "ai", `/ai/export/${input.userId}`),
    fetchExport(ctx, "analytics", `/analytics/export/${input.userId}`),
    fetchExport(ctx, "bot", `/bot/export/${input.userId}`),
  ]);
  return {
    exportedAt: ctx.deps.clock().toISOString(),
    userId: input.userId,
    services: {
      user: {
        profile: ownProfile(profile, ctx.deps.config),
        preferences,
        knownFiles: files.map((row) => ({ fileId: row.fileId, contentType: row.contentType, size: row.size, createdAt: row.createdAt.toISOString() })),
      },
      auth,
      file,
      notification,
      ai,
      analytics,
      bot,
    },
  };
}

async function fetchExport(ctx: Ctx, service: Parameters<Ctx["deps"]["remote"]["call"]>[0], path: string): Promise<unknown> {
  const reply = await ctx.deps.remote.call(service, path, { method: "GET", requestId: ctx.requestId });
  if (reply.status === 200) return reply.json;
  ctx.logger.error({ service, status: reply.status }, "a service could not export the user's data");
  throw ctx.deps.remote.unavailable(service);
}
