import { appendTurns, loadTurns } from "../../../helpers/conversation";
import { streamAnswer } from "../../../services/stream-answer";
import type { BotContext } from "../../context";
import { type Placeholder, startLiveReply } from "./live-reply";
import { type AskProblem, askProblemOf, waitOf } from "./problems";

/** Telegram allows about one message a second in a private chat and twenty a minute in a group: edits stay under both. */
const PRIVATE_EDIT_INTERVAL_MS = 1000;
const GROUP_EDIT_INTERVAL_MS = 3000;

/**
 * One `/ask` answered, outside the update worker (a chat task): the question and the chat's last
 * turns go to the AI service for the chat's user, the answer streams into `placeholder` (and more
 * messages if long), and the exchange joins the conversation once complete. A failure becomes a
 * friendly message in the chat's language, in the placeholder or, after part of an answer, as a
 * note below it (a cut-off answer is not kept as context).
 */
export async function answerQuestion(input: {
  ctx: BotContext;
  userId: string;
  chatId: number;
  question: string;
  placeholder: Placeholder;
  signal: AbortSignal;
}) {
  const { ctx, userId, chatId, question } = input;
  const { deps, logger } = ctx.lodge;
  const reply = startLiveReply({
    api: ctx.api,
    chatId,
    placeholder: input.placeholder,
    clock: deps.clock,
    intervalMs: ctx.chat?.type === "private" ? PRIVATE_EDIT_INTERVAL_MS : GROUP_EDIT_INTERVAL_MS,
    logger,
  });
  const started = performance.now();
  let answer = "";
  let problem: AskProblem | undefined;
  try {
    const history = await loadTurns(deps, { chatId, userId });
    for await (const text of streamAnswer({ ctx: ctx.lodge, input: { userId, history, question, signal: input.signal } })) {
      answer += text;
      reply.update(answer);
    }
  } catch (error) {
    problem = askProblemOf(error);
    logger[problem.level]({ err: error, userId }, "an /ask answer failed");
  }

  const told = problem && problemText(ctx, problem);
  try {
    if (!answer.trim()) await reply.fail(told ?? ctx.t("ask-empty"));
    else await reply.finish(answer, told && ctx.t("ask-cut-off", { reason: told }));
  } catch (error) {
    logger.warn({ err: error }, "could not show an /ask answer");
  }
  if (!problem && answer.trim()) {
    const turns = [
      { role: "user" as const, content: question },
      { role: "assistant" as const, content: answer },
    ];
    await appendTurns(deps, { chatId, userId, turns, ttlSeconds: deps.env.BOT_SESSION_TTL_SECONDS });
  }
  logger.info(
    { userId, outcome: problem?.key ?? "answered", chars: answer.length, messages: reply.messages(), ms: Math.round(performance.now() - started) },
    "/ask answered",
  );
}

function problemText(ctx: BotContext, problem: AskProblem): string {
  return ctx.t(problem.key, { wait: problem.wait === undefined ? ctx.t("ask-wait-moment") : ctx.t("ask-wait", waitOf(problem.wait)) });
}
