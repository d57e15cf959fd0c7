import type { Logger } from "@lodge/kit";
import { type Api, GrammyError } from "grammy";
import { splitMessage } from "./split-message";
import { escapeHtml, telegramHtml } from "./telegram-html";

type Shown = { id: number; text: string };
/** The message sent before the answer began, and when (edits count their interval from it). */
export type Placeholder = Shown & { sentAt: Date };

export type LiveReply = ReturnType<typeof startLiveReply>;

/**
 * An answer shown while it is written: the first message (a placeholder already sent) is edited
 * as the text grows, at most once per `intervalMs` on the service's clock and one edit at a time
 * (a text that came during an edit is shown when it ends, if the interval has passed), only when
 * the text changed; a final edit shows it complete. Past Telegram's 4096 characters the
 * answer goes on in further messages. The Markdown is shown as Telegram's HTML; a message Telegram
 * refuses as bad HTML ("can't parse entities") turns the whole answer to plain text, never a failure.
 */
export function startLiveReply(options: { api: Api; chatId: number; placeholder: Placeholder; clock: () => Date; intervalMs: number; logger: Logger }) {
  const { api, chatId, logger } = options;
  const shown: Shown[] = [{ id: options.placeholder.id, text: options.placeholder.text }];
  let html = true;
  let lastShownAt = options.placeholder.sentAt.getTime();
  let showing: Promise<void> | undefined;
  /** The newest text, and the text last shown (or being shown); no partial text once the answer is complete. */
  let latest = "";
  let shownMarkdown = "";
  let complete = false;

  const partsOf = (markdown: string, note?: string) =>
    html
      ? splitMessage(note ? `${telegramHtml(markdown)}\n\n<i>${escapeHtml(note)}</i>` : telegramHtml(markdown), { html: true })
      : splitMessage(note ? `${markdown}\n\n${note}` : markdown, { html: false });

  async function show(markdown: string, note?: string) {
    const parts = partsOf(markdown, note);
    try {
      for (const [index, part] of parts.entries()) await showPart(index, part);
    } catch (error) {
      if (!(html && error instanceof GrammyError && /can't parse entities/i.test(error.description))) throw error;
      logger.warn({ err: error }, "Telegram refused an answer's HTML: shown as plain text");
      html = false;
      for (const [index, part] of partsOf(markdown, note).entries()) await showPart(index, part);
    }
  }

  async function showPart(index: number, text: string) {
    const message = shown[index];
    const other = { ...(html ? { parse_mode: "HTML" as const } : {}), link_preview_options: { is_disabled: true } };
    if (!message) {
      const sent = await api.sendMessage(chatId, text, other);
      shown.push({ id: sent.message_id, text });
      return;
    }
    if (message.text === text) return;
    try {
      await api.editMessageText(chatId, message.id, text, other);
    } catch (error) {
      // The same text in another form (HTML that shows as the plain text did): nothing to change.
      if (!(error instanceof GrammyError && /message is not modified/i.test(error.description))) throw error;
    }
    message.text = text;
  }

  /** Shows the newest text if it changed, the last edit began `intervalMs` ago and none is under way; else a later text (or the end of that edit) will. */
  function showLatest() {
    const now = options.clock().getTime();
    if (complete || showing || latest === shownMarkdown || !latest.trim() || now - lastShownAt < options.intervalMs) return;
    lastShownAt = now;
    shownMarkdown = latest;
    showing = show(latest)
      .catch((error) => logger.warn({ err: error }, "could not show a partial answer"))
      .finally(() => {
        showing = undefined;
        showLatest();
      });
  }

  /** No more partial edits; the one under way (if any) ends first. */
  async function settle() {
    complete = true;
    while (showing) await showing;
  }

  return {
    /** The answer so far. */
    update(markdown: string) {
      latest = markdown;
      showLatest();
    },
    /** The complete answer (with a closing `note` in italics, such as why it was cut off). */
    async finish(markdown: string, note?: string) {
      await settle();
      await show(markdown, note);
    },
    /** No answer: the placeholder says why (plain text). */
    async fail(message: string) {
      await settle();
      html = false;
      await showPart(0, message);
    },
    /** How many messages the answer took. */
    messages: () => shown.length,
  };
}
