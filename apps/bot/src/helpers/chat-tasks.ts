import type { Logger } from "@lodge/kit";

export type ChatTasks = ReturnType<typeof createChatTasks>;
/** A task gets a signal that aborts when the service stops and the task outlived the grace period. */
export type ChatTask = (signal: AbortSignal) => Promise<void>;

/**
 * Slow work an update hands off so it does not hold the update worker (an AI answer streams for
 * seconds, and the worker's other chats would wait): one chat's tasks run one after another, in the
 * order handed over, different chats' side by side. Held in this process: a task that was handed
 * over is not redone after a crash (its update was already handled). `drain` (at shutdown) waits
 * for the running tasks, then aborts those still running after `graceMs`.
 */
export function createChatTasks(options: { logger: Logger }) {
  const chats = new Map<number, { tail: Promise<void>; count: number }>();
  const stopping = new AbortController();

  function run(chatId: number, task: ChatTask) {
    const chat = chats.get(chatId) ?? { tail: Promise.resolve(), count: 0 };
    chats.set(chatId, chat);
    chat.count += 1;
    chat.tail = chat.tail
      .then(() => task(stopping.signal))
      .catch((error) => options.logger.error({ err: error, chatId }, "a chat's background task failed"))
      .finally(() => {
        chat.count -= 1;
        if (chat.count === 0 && chats.get(chatId) === chat) chats.delete(chatId);
      });
  }

  async function drain(graceMs: number) {
    const running = [...chats.values()].map((chat) => chat.tail);
    if (running.length === 0) return;
    const timer = setTimeout(() => stopping.abort(new Error("the service is stopping")), graceMs);
    await Promise.all(running);
    clearTimeout(timer);
  }

  return {
    run,
    /** How many of the chat's tasks are running or waiting. */
    count: (chatId: number) => chats.get(chatId)?.count ?? 0,
    drain,
  };
}
