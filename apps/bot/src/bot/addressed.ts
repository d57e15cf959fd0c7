import type { BotContext } from "./context";

/**
 * Whether a message is meant for this bot: anything in a private chat; in a group only a command
 * addressed to it by name (`/help@thisbot`), so the bot stays out of conversations between people
 * and leaves other bots' commands alone.
 */
export function addressedToBot(ctx: BotContext): boolean {
  if (ctx.chat?.type === "private") return true;
  const command = /^\/\w+@(\w+)/.exec(ctx.message?.text ?? "");
  return command?.[1]?.toLowerCase() === ctx.me.username.toLowerCase();
}
