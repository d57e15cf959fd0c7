import { z } from "@hono/zod-openapi";
import { userExportRoutes } from "@lodge/kit";
import type { BotDeps } from "../../deps";
import { exportUser } from "../../services/export-user";

const BotExport = z
  .object({
    userId: z.uuid(),
    telegram: z.object({ chatId: z.number().int(), username: z.string().nullable(), languageCode: z.string().nullable(), linkedAt: z.string() }).nullable(),
    conversation: z.array(z.object({ role: z.enum(["user", "assistant"]), content: z.string() })),
  })
  .openapi("BotExport");

/** What the user service fetches for a user's data export: everything this service holds about them. */
export function exportRoutes(deps: BotDeps) {
  return userExportRoutes(deps, { prefix: "/bot", scope: "bot:export", summary: "A user's Telegram link and bot conversation", data: BotExport, exportUser });
}
