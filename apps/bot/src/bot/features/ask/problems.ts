import { ApiError } from "@lodge/kit";
import OpenAI from "openai";

/** Why an answer failed, as the chat is told (a translation key and its variables) and as the log says it. */
export type AskProblem = { key: string; wait?: number; level: "info" | "warn" | "error" };

/**
 * An error of the AI call as something to tell the user: the user's own rate limit (with the wait)
 * or spent budget (OpenAI's `insufficient_quota`, with when it renews), a model the AI service does
 * not have, a request it refused, a timeout, the service down; never the error's text. What only
 * an operator can fix (the bot's client refused, a model missing) is logged as an error.
 */
export function askProblemOf(error: unknown): AskProblem {
  if (error instanceof OpenAI.APIUserAbortError) return { key: "ask-interrupted", level: "warn" };
  if (error instanceof OpenAI.APIConnectionTimeoutError) return { key: "ask-timeout", level: "warn" };
  if (error instanceof OpenAI.APIConnectionError) return { key: "ask-unavailable", level: "warn" };
  if (error instanceof OpenAI.RateLimitError) {
    const wait = retryAfterOf(error.headers);
    return error.code === "insufficient_quota" || error.type === "insufficient_quota"
      ? { key: "ask-budget-spent", wait, level: "info" }
      : { key: "ask-rate-limited", wait, level: "info" };
  }
  if (error instanceof OpenAI.NotFoundError) return { key: "ask-model-missing", level: "error" };
  if (error instanceof OpenAI.BadRequestError || error instanceof OpenAI.UnprocessableEntityError) return { key: "ask-refused", level: "warn" };
  if (error instanceof OpenAI.AuthenticationError || error instanceof OpenAI.PermissionDeniedError) return { key: "ask-unavailable", level: "error" };
  if (error instanceof OpenAI.APIError) {
    if (error.status === 504) return { key: "ask-timeout", level: "warn" };
    // A 5xx, or an error event in the middle of the stream (no status).
    return { key: "ask-unavailable", wait: error.status === 503 ? retryAfterOf(error.headers) : undefined, level: "warn" };
  }
  // The bot's token could not be had (auth unreachable, or refusing the bot's client).
  if (error instanceof ApiError) return { key: "ask-unavailable", level: error.code === "UNAVAILABLE" ? "warn" : "error" };
  return { key: "error-generic", level: "error" };
}

function retryAfterOf(headers: Headers | undefined): number | undefined {
  const seconds = Number(headers?.get("retry-after"));
  return Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : undefined;
}

/** A wait as the translations take it (`ask-wait`): the largest unit that fits, rounded up. */
export function waitOf(seconds: number): { unit: "seconds" | "minutes" | "hours" | "days"; count: number } {
  if (seconds < 60) return { unit: "seconds", count: seconds };
  if (seconds < 3600) return { unit: "minutes", count: Math.ceil(seconds / 60) };
  if (seconds < 86_400) return { unit: "hours", count: Math.ceil(seconds / 3600) };
  return { unit: "days", count: Math.ceil(seconds / 86_400) };
}
