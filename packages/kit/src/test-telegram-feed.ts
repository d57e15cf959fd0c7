import type TelegramServer from "telegram-test-api";

/** An update as the emulator hands it out (the Bot API's Update: update_id and one field). */
export type FeedUpdate = { update_id: number; [field: string]: unknown };

type Webhook = { url: string; secret?: string; maxConnections: number; allowedUpdates?: string[] };
type Answer = { ok: true; result: unknown } | { ok: false; error_code: number; description: string };

/** Where an update's chat is (its sender's id when it has none), so a chat's updates go out one at a time. */
function chatOf(update: FeedUpdate): string {
  const body = Object.values(update).find((value) => typeof value === "object" && value !== null) as
    | { chat?: { id?: number }; message?: { chat?: { id?: number } }; from?: { id?: number } }
    | undefined;
  return String(body?.chat?.id ?? body?.message?.chat?.id ?? body?.from?.id ?? update.update_id);
}

/**
 * How Telegram hands a bot its updates, in front of telegram-test-api (whose getUpdates answers at
 * once, ignores `offset` and forgets an update once it returned it, and whose webhook calls carry
 * no secret and are never retried):
 * - getUpdates: an update stays until a later call's `offset` confirms it (so a poller that died
 *   gets it again), a call with nothing to return is held up to its `timeout` (long polling), and
 *   it answers 409 while a webhook is set;
 * - setWebhook (https only), deleteWebhook, getWebhookInfo: kept here; while a webhook is set, each
 *   update is POSTed to it with X-Telegram-Bot-Api-Secret-Token, up to `max_connections` at once
 *   but a chat's one after the other, and sent again (after a short pause) until answered 2xx.
 *   `webhookOrigin` stands for DNS: the webhook's https origin is reached there (Caddy, in tests).
 */
export function createUpdateFeed(emulator: TelegramServer, botToken: string) {
  /** Handed out (or being delivered) and not yet confirmed, in update id order. */
  const held: FeedUpdate[] = [];
  const wakers = new Set<() => void>();
  const answers: { updateId: number; status: number }[] = [];
  const delivering = new Set<string>();
  let webhook: Webhook | undefined;
  let webhookOrigin: string | undefined;
  let stopped = false;

  const pull = () => {
    for (const update of emulator.getUpdates(botToken) as FeedUpdate[]) held.push(update);
  };
  const wake = () => {
    for (const waker of wakers) waker();
    wakers.clear();
    if (webhook) pump();
  };
  for (const event of ["AddedUserMessage", "AddedUserCommand", "AddedUserCallbackQuery"]) emulator.on(event, wake);

  const waitForUpdate = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      wakers.add(done);
      signal.addEventListener("abort", done, { once: true });
    });

  async function getUpdates(params: { offset?: number; limit?: number; timeout?: number }, signal: AbortSignal): Promise<Answer> {
    if (webhook) {
      return {
        ok: false,
        error_code: 409,
        description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      };
    }
    const offset = Number(params.offset ?? 0);
    if (offset > 0) held.splice(0, held.length, ...held.filter((update) => update.update_id >= offset));
    pull();
    const timeout = Math.min(Number(params.timeout ?? 0), 50);
    if (held.length === 0 && timeout > 0 && !stopped) {
      await waitForUpdate(timeout * 1000, signal);
      pull();
    }
    return { ok: true, result: held.slice(0, Math.max(1, Math.min(Number(params.limit ?? 100), 100))) };
  }

  /** Starts the deliveries there is room for: the oldest update of each chat not being delivered, up to max_connections. */
  const pump = () => {
    if (!webhook || stopped) return;
    pull();
    const chats = new Set(delivering);
    for (const update of held) {
      if (delivering.size >= webhook.maxConnections) return;
      const chat = chatOf(update);
      if (chats.has(chat)) continue;
      chats.add(chat);
      delivering.add(chat);
      void deliver(webhook, update, chat);
    }
  };

  const deliver = async (target: Webhook, update: FeedUpdate, chat: string) => {
    for (let attempt = 0; webhook === target && !stopped; attempt++) {
      const url = new URL(target.url);
      const reached = webhookOrigin ? `${webhookOrigin}${url.pathname}${url.search}` : url.href;
      let status = 0;
      try {
        const response = await fetch(reached, {
          method: "POST",
          headers: { "content-type": "application/json", ...(target.secret ? { "x-telegram-bot-api-secret-token": target.secret } : {}) },
          body: JSON.stringify(update),
        });
        status = response.status;
        await response.arrayBuffer();
      } catch {
        status = 0;
      }
      answers.push({ updateId: update.update_id, status });
      if (status >= 200 && status < 300) {
        const at = held.indexOf(update);
        if (at !== -1) held.splice(at, 1);
        break;
      }
      await Bun.sleep(Math.min(2000, 100 * 2 ** attempt));
    }
    delivering.delete(chat);
    pump();
  };

  return {
    getUpdates,
    setWebhook(params: Record<string, unknown>): Answer {
      const url = String(params.url ?? "");
      if (url === "") {
        webhook = undefined;
        return { ok: true, result: true };
      }
      if (!url.startsWith("https://"))
        return { ok: false, error_code: 400, description: "Bad Request: bad webhook: An HTTPS URL must be provided for webhook" };
      const allowed = typeof params.allowed_updates === "string" ? JSON.parse(params.allowed_updates) : params.allowed_updates;
      if (params.drop_pending_updates === true || params.drop_pending_updates === "true") this.dropPending();
      webhook = {
        url,
        secret: params.secret_token === undefined ? undefined : String(params.secret_token),
        maxConnections: Number(params.max_connections ?? 40),
        allowedUpdates: Array.isArray(allowed) ? allowed.map(String) : undefined,
      };
      pump();
      return { ok: true, result: true };
    },
    deleteWebhook(params: Record<string, unknown>): Answer {
      webhook = undefined;
      if (params.drop_pending_updates === true || params.drop_pending_updates === "true") this.dropPending();
      return { ok: true, result: true };
    },
    getWebhookInfo(): Answer {
      pull();
      return {
        ok: true,
        result: {
          url: webhook?.url ?? "",
          has_custom_certificate: false,
          pending_update_count: held.length,
          ...(webhook ? { max_connections: webhook.maxConnections } : {}),
          ...(webhook?.allowedUpdates ? { allowed_updates: webhook.allowedUpdates } : {}),
        },
      };
    },
    dropPending() {
      pull();
      held.length = 0;
    },
    /** The webhook as set (url, secret, max_connections, allowed_updates), or undefined. */
    webhook: () => webhook,
    /** Where the webhook's origin is reached (Caddy's address standing in for the public https one). */
    reachWebhookAt: (origin: string) => {
      webhookOrigin = origin.replace(/\/+$/, "");
    },
    /** Every webhook delivery attempt and the status it got (0: no answer). */
    answers,
    /** Updates Telegram still holds for the bot: not yet handed out, or not yet confirmed (offset) or answered 2xx (webhook). */
    pending: () => {
      pull();
      return held.length;
    },
    stop() {
      stopped = true;
      wake();
    },
  };
}

export type UpdateFeed = ReturnType<typeof createUpdateFeed>;
