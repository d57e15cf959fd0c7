import { describe, expect, test } from "bun:test";
import { ApiError } from "@lodge/kit";
import OpenAI from "openai";
import { askProblemOf, waitOf } from "../src/bot/features/ask/problems";

/** An error as the OpenAI SDK raises it for the AI service's answer (status, OpenAI's error body, headers). */
const answered = (status: number | undefined, code: string | null, headers: Record<string, string> = {}) =>
  OpenAI.APIError.generate(status, { error: { message: "the service's own words", type: "x", param: null, code } }, undefined, new Headers(headers));

describe("what an /ask failure tells the chat", () => {
  test("each of the AI service's answers, and what never reached it", () => {
    expect(askProblemOf(answered(429, "rate_limit_exceeded", { "retry-after": "45" }))).toEqual({ key: "ask-rate-limited", wait: 45, level: "info" });
    expect(askProblemOf(answered(429, "insufficient_quota", { "retry-after": "50400" }))).toEqual({ key: "ask-budget-spent", wait: 50_400, level: "info" });
    expect(askProblemOf(answered(404, "model_not_found"))).toMatchObject({ key: "ask-model-missing", level: "error" });
    expect(askProblemOf(answered(400, "context_length_exceeded"))).toMatchObject({ key: "ask-refused" });
    expect(askProblemOf(answered(403, "permission_denied"))).toMatchObject({ key: "ask-unavailable", level: "error" });
    expect(askProblemOf(answered(503, "service_unavailable", { "retry-after": "60" }))).toMatchObject({ key: "ask-unavailable", wait: 60 });
    expect(askProblemOf(answered(502, "bad_gateway"))).toMatchObject({ key: "ask-unavailable", wait: undefined });
    expect(askProblemOf(answered(504, "gateway_timeout"))).toMatchObject({ key: "ask-timeout" });
    // An error event in the middle of the stream has no status.
    expect(askProblemOf(answered(undefined, "stream_interrupted"))).toMatchObject({ key: "ask-unavailable" });
    expect(askProblemOf(new OpenAI.APIConnectionTimeoutError())).toMatchObject({ key: "ask-timeout" });
    expect(askProblemOf(new OpenAI.APIConnectionError({ message: "refused" }))).toMatchObject({ key: "ask-unavailable" });
    expect(askProblemOf(new OpenAI.APIUserAbortError())).toMatchObject({ key: "ask-interrupted" });
    expect(askProblemOf(new ApiError({ code: "UNAVAILABLE", message: "auth down" }))).toMatchObject({ key: "ask-unavailable", level: "warn" });
    expect(askProblemOf(new TypeError("a bug"))).toMatchObject({ key: "error-generic", level: "error" });
  });

  test("a wait in the largest unit that fits, rounded up", () => {
    expect(waitOf(45)).toEqual({ unit: "seconds", count: 45 });
    expect(waitOf(61)).toEqual({ unit: "minutes", count: 2 });
    expect(waitOf(50_400)).toEqual({ unit: "hours", count: 14 });
    expect(waitOf(86_400 * 20 + 1)).toEqual({ unit: "days", count: 21 });
  });
});
