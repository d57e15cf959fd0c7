import { Composer } from "grammy";
import { deepLink } from "../../../helpers/deep-link";
import { createInvite } from "../../../services/create-invite";
import type { BotContext } from "../../context";

/** What `/invite` makes without arguments: a code for one chat, valid a week. */
const DEFAULT_USES = 1;
const DEFAULT_DAYS = 7;
/** The bounds `/invite` takes (POST /bot/invites allows as many uses). */
const MAX_USES = 100_000;
const MAX_DAYS = 365;

/** `/invite [uses] [days]`'s arguments, or null when they are not two whole numbers in bounds. */
function parseInviteArguments(text: string): { uses: number; days: number } | null {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length > 2 || words.some((word) => !/^\d{1,6}$/.test(word))) return null;
  const [uses = DEFAULT_USES, days = DEFAULT_DAYS] = words.map(Number);
  return uses >= 1 && uses <= MAX_USES && days >= 1 && days <= MAX_DAYS ? { uses, days } : null;
}

/**
 * `/invite [uses] [days]`: an admin (a chat linked to an account whose role is admin) makes an
 * invite code for an invite-only bot and gets it with its deep link; anyone else is told politely
 * that only admins can.
 */
export function invites() {
  const composer = new Composer<BotContext>();
  composer.command("invite", async (ctx) => {
    if (ctx.link?.role !== "admin") return ctx.reply(ctx.t("invite-admins-only"));
    const wanted = parseInviteArguments(ctx.match);
    if (!wanted) return ctx.reply(ctx.t("invite-usage", { maxUses: MAX_USES, maxDays: MAX_DAYS }));
    const { code, url } = await createInvite({
      ctx: ctx.lodge,
      input: {
        maxUses: wanted.uses,
        expiresAt: new Date(ctx.lodge.deps.clock().getTime() + wanted.days * 86_400_000),
        note: "/invite in Telegram",
        createdBy: ctx.link.userId,
      },
    });
    await ctx.reply(ctx.t("invite-made", { uses: wanted.uses, days: wanted.days, code, url: url ?? deepLink(ctx.me.username, code) }));
  });
  return composer;
}
