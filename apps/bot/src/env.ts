import { fragments, serviceEnv, z } from "@lodge/config";
import { localUrlOf, serviceNamed } from "@lodge/services";

const baseUrl = z.url({ protocol: /^https?$/ }).transform((value) => value.replace(/\/+$/, ""));
const positiveInt = z.coerce.number().int().positive();
const defaultClientId = serviceNamed("bot").client?.id ?? "bot-service";

export const botEnv = serviceEnv
  .extend({
    PORT: z.coerce.number().int().default(serviceNamed("bot").port),

    /** The bot's token from @BotFather; unset, the service starts without a bot and says how to set one. */
    TELEGRAM_BOT_TOKEN: fragments.optional(z.string().regex(/^\d+:[\w-]+$/, "a bot token (123456:ABC...)")),
    /** The Bot API's origin (a test's emulator, or a local Bot API server). */
    TELEGRAM_API_ROOT: baseUrl.default("https://api.telegram.org"),
    /** The public URL Telegram posts updates to (`https://<domain>/bot/webhook`); unset: long polling (development). */
    BOT_WEBHOOK_URL: fragments.optional(z.url({ protocol: /^https$/ })),
    /** Telegram sends it back in X-Telegram-Bot-Api-Secret-Token with every update (1–256 of A-Z a-z 0-9 _ -); required with BOT_WEBHOOK_URL. */
    BOT_WEBHOOK_SECRET: fragments.optional(z.string().regex(/^[\w-]{24,256}$/, "24 to 256 of A-Z a-z 0-9 _ -")),
    /** `open`: anyone may talk to the bot; `invite`: an unlinked chat needs an invite code first. */
    BOT_ACCESS: z.enum(["open", "invite"]).default("open"),
    /** Plain text in a private chat is a question to the AI (as `/ask`). */
    BOT_PLAIN_TEXT_ASK: fragments.bool,
    /** The AI model `/ask` uses (an alias the AI service serves). */
    BOT_ASK_MODEL: z.string().min(1).default("gpt-4o-mini"),
    /** The longest `/ask` answer, in tokens (about 4 characters each; a Telegram message holds 4096 characters). */
    BOT_ASK_MAX_OUTPUT_TOKENS: positiveInt.max(32_768).default(2000),
    /** How long a deep-link token from POST /bot/link stays valid (seconds). */
    BOT_LINK_TTL_SECONDS: positiveInt.max(86_400).default(600),
    /** How long a chat's session and its /ask conversation live after their last write (seconds). */
    BOT_SESSION_TTL_SECONDS: positiveInt.default(7 * 86_400),
    /** Chats are spread over this many ordered queues: updates of one chat run in order, different queues in parallel. */
    BOT_QUEUE_SHARDS: positiveInt.max(1024).default(32),
    /** How long a shard of the queue stays with an instance that stopped renewing it (killed): its updates wait this long for another (ms). */
    BOT_QUEUE_LEASE_MS: positiveInt.min(300).max(600_000).default(15_000),

    /** Where the other services answer (internal, not the public origin). */
    AUTH_URL: baseUrl.default(localUrlOf("auth")),
    USER_URL: baseUrl.default(localUrlOf("user")),
    AI_URL: baseUrl.default(localUrlOf("ai")),
    NOTIFICATION_URL: baseUrl.default(localUrlOf("notification")),
    /** This service's machine client at auth (its scopes are in @lodge/services). */
    BOT_CLIENT_ID: z.string().min(1).max(128).default(defaultClientId),
    /** Its secret; unset, linked chats cannot reach the other services (required in production). */
    BOT_CLIENT_SECRET: fragments.optional(z.string().min(24)),
    /** A call to another service (or a first byte of an AI answer) that takes longer is given up (ms). */
    BOT_SERVICE_TIMEOUT_MS: positiveInt.default(60_000),
  })
  .refine((env) => !env.BOT_WEBHOOK_URL || env.BOT_WEBHOOK_SECRET, {
    message: "BOT_WEBHOOK_URL needs BOT_WEBHOOK_SECRET (so only Telegram can post updates)",
    path: ["BOT_WEBHOOK_SECRET"],
  });

export type BotEnv = z.infer<typeof botEnv>;
