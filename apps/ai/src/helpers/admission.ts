import { apiKeys } from "@lodge/db/schema";
import { ApiError, type AppEnv, actingUserOf, secretTokenHash } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Context } from "hono";
import type { AiDeps, Ctx } from "../deps";
import { apiKeyPattern, findKeyByHash } from "./api-keys";
import { type Admission, type Caller, type CallOutcome, type CallPlan, costOf } from "./calls";
import { type CacheWrite, type LimitName, type Limits, limitKeysOf, type Refusal, type Reservation, type Reserved } from "./limiter";
import { limitsOf } from "./limits";
import { budgetPeriodsOf, minuteOf, resetText, toNanoUsd } from "./periods";
import type { UsageRecord } from "./usage-writer";

/** The scope a service client needs to call for a user (`X-Lodge-User`). */
export const INVOKE_SCOPE = "ai:invoke";
const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const forbidden = (message: string) => new ApiError({ code: "FORBIDDEN", message });

/**
 * Who a request is for: a user's own access token, one of their API keys (`Bearer lk_…`: not
 * revoked, not expired), or a service client with the scope `ai:invoke` naming the user in
 * `X-Lodge-User`. A user's token or key may send `X-Lodge-User` only naming its own user.
 */
export async function callerOf(c: Context<AppEnv>, deps: AiDeps): Promise<Caller> {
  const bearer = c.req.header("authorization")?.match(/^Bearer\s+(lk_\S*)$/i)?.[1];
  if (bearer !== undefined) {
    const actingFor = c.req.header("x-lodge-user");
    if (actingFor !== undefined && !uuidPattern.test(actingFor)) {
      throw new ApiError({ code: "VALIDATION_FAILED", message: "X-Lodge-User must be a user id (a UUID)" });
    }
    const key = await keyCaller(deps, bearer);
    if (actingFor !== undefined && actingFor.toLowerCase() !== key.userId) throw forbidden("An API key acts only for its own user");
    return key;
  }
  const principal = await deps.guard.optionalPrincipal(c);
  if (!principal) throw new ApiError({ code: "UNAUTHORIZED", message: "Missing bearer token (an access token or a Lodge API key)" });
  c.set("principal", principal);
  // A token's caller follows the kit's one rule of who a request acts for (X-Lodge-User with the scope).
  const userId = actingUserOf(c, INVOKE_SCOPE);
  return principal.kind === "user"
    ? { userId, keyId: null, clientId: null, admin: principal.role === "admin" }
    : { userId, keyId: null, clientId: principal.clientId, admin: false };
}

/** An API key's caller; its last use is written at most once a minute, after the answer (never on the request path). */
async function keyCaller(deps: AiDeps, key: string): Promise<Caller> {
  const invalid = new ApiError({ code: "UNAUTHORIZED", message: "Invalid API key" });
  if (!apiKeyPattern.test(key)) throw invalid;
  const record = await findKeyByHash(deps, secretTokenHash(key));
  const now = deps.clock();
  if (!record) throw invalid;
  if (record.revokedAt !== null) throw new ApiError({ code: "UNAUTHORIZED", message: "API key revoked" });
  if (record.expiresAt !== null && record.expiresAt <= now.getTime()) throw new ApiError({ code: "UNAUTHORIZED", message: "API key expired" });
  deps.accounting.keyLimits.set(record.id, record.limits);
  void noteKeyUse(deps, record.id, now);
  return { userId: record.userId, keyId: record.id, clientId: null, admin: false };
}

async function noteKeyUse(deps: AiDeps, keyId: string, now: Date) {
  try {
    const first = await deps.redis.set(`${deps.redisPrefix}ai:key-used:${keyId}`, "1", "PX", 60_000, "NX");
    if (first) await deps.db.update(apiKeys).set({ lastUsedAt: now }).where(eq(apiKeys.id, keyId));
  } catch (error) {
    deps.logger.warn({ err: error, keyId }, "could not note an API key's use");
  }
}

/**
 * Admits a planned call or refuses it: FORBIDDEN for a banned user, else RATE_LIMITED (with
 * `details.limit` naming the limit, and Retry-After) past the user's or the key's requests or tokens
 * per minute or calls at once, or the user's daily or monthly budget; all checked and reserved in
 * one atomic step in Redis shared by every instance.
 * The budget reserves the dearest the call can cost (its input and `maxOutputTokens` at
 * `plan.pricing`), nothing when `cached` names a response-cache entry that is there (read in the
 * same step: the admission's `cached`); `settle` releases the call and corrects tokens and cost to
 * what it really used, queues its usage record, and writes the response-cache entry it is given.
 */
export async function admit(ctx: Ctx, plan: CallPlan, cached?: Reservation["cached"]): Promise<Admission> {
  const { deps } = ctx;
  const { accounting } = deps;
  const now = deps.clock();
  const id = Bun.randomUUIDv7();
  const limits = await limitsOf(deps, plan.caller);
  const keys = limitKeysOf(deps.redisPrefix, plan.caller, now);
  const reservationOf = (inputTokens: number): Reservation => ({
    id,
    tokens: inputTokens + plan.maxOutputTokens,
    // The dearest it can cost: every input token uncached, every output token it may produce.
    costNano: toNanoUsd(costOf(plan.pricing, { inputTokens, outputTokens: plan.maxOutputTokens, cachedTokens: 0 })),
    leaseEndsAt: now.getTime() + accounting.leaseMs,
    cached,
  });
  let reservation = reservationOf(plan.inputTokens);
  let reserved = await accounting.reserve(keys, limits, reservation, now);
  // Refused on an upper bound of the input: the exact count decides (a refusal changed nothing).
  if (!reserved.ok && boundMatters.has(reserved.limit) && plan.countInputTokens) {
    const exact = plan.countInputTokens();
    if (exact < plan.inputTokens) {
      reservation = reservationOf(exact);
      reserved = await accounting.reserve(keys, limits, reservation, now);
    }
  }
  const headers = rateLimitHeaders(limits, reserved, minuteOf(now).resetMs);
  if (!reserved.ok) {
    const { limit } = reserved;
    if (limit === "banned") throw new ApiError({ code: "FORBIDDEN", message: "Account suspended" });
    throw refusal(limit, now, headers);
  }
  const { tokens } = reservation;
  // A call the response cache answers reserved no cost.
  const costNano = reserved.cached === null ? reservation.costNano : 0;

  let settled = false;
  async function settle(outcome: CallOutcome, cache: CacheWrite | null = null) {
    if (settled) {
      ctx.logger.warn({ usageId: id }, "an admission was settled twice; the second is ignored");
      return;
    }
    settled = true;
    const costUsd = outcome.pricing ? costOf(outcome.pricing, outcome) : 0;
    const record = usageRecord({ id, plan, outcome, costUsd, createdAt: now, requestId: plan.requestId ?? ctx.requestId });
    accounting.recordCall(plan, outcome, costUsd);
    const delta = { id, tokensDelta: outcome.inputTokens + outcome.outputTokens - tokens, costNanoDelta: toNanoUsd(costUsd) - costNano };
    try {
      await accounting.release(keys, { ...delta, record: JSON.stringify(record), cache });
    } catch (error) {
      // Redis is unreachable: the record goes straight to Postgres (the slot frees itself when its lease ends).
      ctx.logger.error({ err: error, usageId: id }, "could not settle in Redis; writing the usage record directly");
      await accounting.usageWriter.writeNow(record).catch((writeError: unknown) => {
        // Settles run after the answer: the record is in the log, for an operator to replay, rather than nowhere.
        ctx.logger.error({ err: writeError, usage: record }, "could not write a usage record to Postgres either");
      });
    }
  }
  return { id, headers, cached: reserved.cached, settle };
}

/** The limits a call's input tokens count against. */
const boundMatters = new Set<Refusal>(["tpm", "daily_budget", "monthly_budget"]);

/** OpenAI's x-ratelimit-* headers: the tighter of the user's and the key's limits, and what is left of it this minute. */
function rateLimitHeaders(limits: Limits, counts: Reserved, resetMs: number): Record<string, string> {
  const left = (userLimit: number, userUsed: number, keyLimit: number | undefined, keyUsed: number) =>
    Math.max(0, Math.min(userLimit - userUsed, keyLimit === undefined ? Number.POSITIVE_INFINITY : keyLimit - keyUsed));
  const { user, key } = limits;
  return {
    "x-ratelimit-limit-requests": String(Math.min(user.rpm, key?.rpm ?? user.rpm)),
    "x-ratelimit-limit-tokens": String(Math.min(user.tpm, key?.tpm ?? user.tpm)),
    "x-ratelimit-remaining-requests": String(left(user.rpm, counts.userRequests, key?.rpm, counts.keyRequests)),
    "x-ratelimit-remaining-tokens": String(left(user.tpm, counts.userTokens, key?.tpm, counts.keyTokens)),
    "x-ratelimit-reset-requests": resetText(resetMs),
    "x-ratelimit-reset-tokens": resetText(resetMs),
  };
}

const refusalMessages: Record<LimitName, string> = {
  rpm: "Rate limit reached: too many requests this minute",
  tpm: "Rate limit reached: too many tokens this minute",
  concurrency: "Rate limit reached: too many calls running at once",
  daily_budget: "Daily budget exhausted: this call could cost more than what is left today",
  monthly_budget: "Monthly budget exhausted: this call could cost more than what is left this month",
};

/** The 429 for a limit: Retry-After is when it frees up (the minute's end, a budget's period end; a second for a slot). */
function refusal(limit: LimitName, now: Date, headers: Record<string, string>) {
  const { day, month } = budgetPeriodsOf(now);
  const waitMs = {
    rpm: minuteOf(now).resetMs,
    tpm: minuteOf(now).resetMs,
    concurrency: 1000,
    daily_budget: day.endsAt.getTime() - now.getTime(),
    monthly_budget: month.endsAt.getTime() - now.getTime(),
  }[limit];
  return new ApiError({
    code: "RATE_LIMITED",
    message: refusalMessages[limit],
    retryAfter: Math.max(1, Math.ceil(waitMs / 1000)),
    details: { limit, headers },
  });
}

function usageRecord(input: { id: string; plan: CallPlan; outcome: CallOutcome; costUsd: number; createdAt: Date; requestId?: string }): UsageRecord {
  const { plan, outcome } = input;
  return {
    id: input.id,
    userId: plan.caller.userId,
    keyId: plan.caller.keyId,
    clientId: plan.caller.clientId,
    kind: plan.kind,
    model: plan.model,
    provider: outcome.provider,
    deployment: outcome.deployment,
    inputTokens: outcome.inputTokens,
    outputTokens: outcome.outputTokens,
    cachedTokens: outcome.cachedTokens,
    tokensFrom: outcome.tokensFrom,
    costUsd: input.costUsd,
    stream: plan.stream,
    cached: outcome.cached,
    status: outcome.status,
    httpStatus: outcome.httpStatus,
    latencyMs: Math.round(outcome.latencyMs),
    firstTokenMs: outcome.firstTokenMs === null ? null : Math.round(outcome.firstTokenMs),
    requestId: input.requestId ?? null,
    createdAt: input.createdAt.toISOString(),
  };
}
