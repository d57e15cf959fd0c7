import { recipients } from "@lodge/db/schema";
import { eq, sql } from "drizzle-orm";
import { defaultLocale, type Locale, localeFor } from "../catalog/index";
import type { Ctx } from "../deps";

export type Recipient = { email: string | null; locale: Locale; timeZone: string };

/**
 * How to address a user: the local copy fed by events. The language and time zone fall back to
 * English and UTC; `user.preferences_updated` (the user service, next) is what will fill them, by
 * calling `rememberRecipient` with `locale`/`timeZone`. No row: no address (email deliveries are
 * then skipped with reason `no_address`). `reader`: a transaction already holding a connection.
 */
export async function recipientOf(ctx: Ctx, userId: string, reader: Pick<Ctx["deps"]["db"], "select"> = ctx.deps.db): Promise<Recipient> {
  const [row] = await reader.select().from(recipients).where(eq(recipients.userId, userId));
  return { email: row?.email ?? null, locale: row ? localeFor(row.locale) : defaultLocale, timeZone: row?.timeZone ?? "UTC" };
}

/** Records what an event says of a user (only the fields it carries change). Idempotent. */
export async function rememberRecipient({
  ctx,
  input,
}: {
  ctx: Ctx;
  input: { userId: string; email?: string; locale?: string | null; timeZone?: string | null };
}) {
  const { userId, ...known } = input;
  const changes = Object.fromEntries(Object.entries(known).filter(([, value]) => value !== undefined));
  await ctx.deps.db
    .insert(recipients)
    .values({ userId, ...changes, updatedAt: ctx.deps.clock() })
    .onConflictDoUpdate({ target: recipients.userId, set: { ...changes, updatedAt: sql`excluded.updated_at` } });
}
