import { batched, luaScript, type Redis } from "@lodge/kit";
import { budgetPeriodsOf, minuteOf } from "./periods";

/** The limits one call is held to: the user's (defaults or an admin's overrides) and, for a call with an API key, the key's (never above the user's). */
export type Limits = {
  user: { rpm: number; tpm: number; concurrency: number; dailyBudgetNano: number; monthlyBudgetNano: number };
  key: { rpm: number; tpm: number; concurrency: number } | null;
};

export type LimitName = "rpm" | "tpm" | "concurrency" | "daily_budget" | "monthly_budget";
/** Why a call was not admitted: a limit, or its user is banned. */
export type Refusal = LimitName | "banned";

/** Both scripts are called once a turn with the turn's batch (`sentEachTurn` below): each call goes to the socket at once. */
const sentOnceATurn = { sentAtOnce: true };

// For each call, 10 KEYS: user rpm, user tpm, user calls running, key rpm, key tpm, key calls
// running, daily spend, monthly spend, banned flag, the response cache's entry for the call;
// and 16 ARGV: now, admission id, lease end, tokens, nano-USD, user rpm tpm concurrency, key rpm tpm
// concurrency (0: no key), daily and monthly budgets (nano-USD), daily and monthly keys' lifetimes
// (ms), how the cache entry must begin to answer the call ('': no cache lookup).
// Each call in turn, as if alone: reads its cache entry (a hit reserves no cost); checks every limit
// and changes nothing when one is exceeded; then counts the call everywhere. Calls running are a
// sorted set of admission ids by lease end, so a call whose instance died is let go.
const admitScript = luaScript(
  `
local function admit(KEYS, ARGV)
  local now = tonumber(ARGV[1])
  local tokens = tonumber(ARGV[4])
  local cost = tonumber(ARGV[5])
  local hasKey = tonumber(ARGV[9]) > 0
  local cached = false
  if ARGV[16] ~= '' then
    local entry = redis.call('GET', KEYS[10])
    if entry and string.sub(entry, 1, #ARGV[16]) == ARGV[16] then
      cached = entry
      cost = 0
    end
  end
  local function count(key) return tonumber(redis.call('GET', key) or '0') end
  local function running(key)
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
    return redis.call('ZCARD', key)
  end
  local userRequests = count(KEYS[1])
  local userTokens = count(KEYS[2])
  local keyRequests = 0
  local keyTokens = 0
  if hasKey then
    keyRequests = count(KEYS[4])
    keyTokens = count(KEYS[5])
  end
  local function refuse(limit) return {0, limit, userRequests, userTokens, keyRequests, keyTokens, false} end
  if redis.call('EXISTS', KEYS[9]) == 1 then return refuse('banned') end
  if count(KEYS[7]) + cost > tonumber(ARGV[12]) then return refuse('daily_budget') end
  if count(KEYS[8]) + cost > tonumber(ARGV[13]) then return refuse('monthly_budget') end
  if userRequests + 1 > tonumber(ARGV[6]) then return refuse('rpm') end
  if userTokens + tokens > tonumber(ARGV[7]) then return refuse('tpm') end
  if running(KEYS[3]) >= tonumber(ARGV[8]) then return refuse('concurrency') end
  if hasKey then
    if keyRequests + 1 > tonumber(ARGV[9]) then return refuse('rpm') end
    if keyTokens + tokens > tonumber(ARGV[10]) then return refuse('tpm') end
    if running(KEYS[6]) >= tonumber(ARGV[11]) then return refuse('concurrency') end
  end
  local function add(key, amount, ttl)
    redis.call('INCRBY', key, amount)
    redis.call('PEXPIRE', key, ttl)
  end
  add(KEYS[1], 1, 120000)
  add(KEYS[2], tokens, 120000)
  redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
  redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[3]) - now)
  if hasKey then
    add(KEYS[4], 1, 120000)
    add(KEYS[5], tokens, 120000)
    redis.call('ZADD', KEYS[6], ARGV[3], ARGV[2])
    redis.call('PEXPIRE', KEYS[6], tonumber(ARGV[3]) - now)
  end
  add(KEYS[7], cost, ARGV[14])
  add(KEYS[8], cost, ARGV[15])
  return {1, 'ok', userRequests + 1, userTokens + tokens, keyRequests + 1, keyTokens + tokens, cached}
end
local results = {}
for call = 0, #ARGV / 16 - 1 do
  results[call + 1] = admit({unpack(KEYS, call * 10 + 1, call * 10 + 10)}, {unpack(ARGV, call * 16 + 1, call * 16 + 16)})
end
return results
`,
  sentOnceATurn,
);

// KEYS: the usage stream, then for each call: user tpm, key tpm, user calls running, key calls
// running, daily spend, monthly spend, the response cache's entry to write.
// ARGV: for each call: admission id, tokens used minus reserved, nano-USD spent minus reserved, the
// usage record, the answer to cache ('': none) and its lifetime in seconds.
// Lets each call go, corrects what it reserved (only in counters still alive: a minute that has
// ended is not brought back), queues its usage record and keeps its answer, all in one step.
const settleScript = luaScript(
  `
local function correct(key, delta)
  if delta ~= 0 and redis.call('EXISTS', key) == 1 then redis.call('INCRBY', key, delta) end
end
for call = 0, #ARGV / 6 - 1 do
  local k = 1 + call * 7
  local a = call * 6
  redis.call('ZREM', KEYS[k + 3], ARGV[a + 1])
  redis.call('ZREM', KEYS[k + 4], ARGV[a + 1])
  local tokens = tonumber(ARGV[a + 2])
  local cost = tonumber(ARGV[a + 3])
  correct(KEYS[k + 1], tokens)
  correct(KEYS[k + 2], tokens)
  correct(KEYS[k + 5], cost)
  correct(KEYS[k + 6], cost)
  redis.call('XADD', KEYS[1], '*', 'usage', ARGV[a + 4])
  if ARGV[a + 5] ~= '' then redis.call('SET', KEYS[k + 7], ARGV[a + 5], 'EX', ARGV[a + 6]) end
end
return #ARGV / 6
`,
  sentOnceATurn,
);

/** Set while a user is banned (see setUserBanned). */
export const bannedKeyOf = (prefix: string, userId: string) => `${prefix}ai:u:${userId}:banned`;

/** Where one user's (and key's) counters are in Redis at `now`. */
export function limitKeysOf(prefix: string, call: { userId: string; keyId: string | null }, now: Date) {
  const { window } = minuteOf(now);
  const { day, month } = budgetPeriodsOf(now);
  const user = `${prefix}ai:u:${call.userId}`;
  const key = `${prefix}ai:k:${call.keyId ?? "none"}`;
  return {
    userRequests: `${user}:rpm:${window}`,
    userTokens: `${user}:tpm:${window}`,
    userRunning: `${user}:running`,
    keyRequests: `${key}:rpm:${window}`,
    keyTokens: `${key}:tpm:${window}`,
    keyRunning: `${key}:running`,
    dailySpend: `${user}:spent:${day.id}`,
    monthlySpend: `${user}:spent:${month.id}`,
    banned: bannedKeyOf(prefix, call.userId),
  };
}

export type LimitKeys = ReturnType<typeof limitKeysOf>;

/**
 * What a call reserves. `cached`: the response cache's entry that answers it, if there is one (its
 * Redis key, and how the entry must begin); a call answered from it reserves no cost.
 */
export type Reservation = { id: string; tokens: number; costNano: number; leaseEndsAt: number; cached?: { key: string; startsWith: string } };
/**
 * What the counters hold (after this call when it was admitted), and the limit it exceeded when it
 * was not; an admitted call's cache entry when the reservation named one and it was there.
 */
export type Reserved = { userRequests: number; userTokens: number; keyRequests: number; keyTokens: number } & (
  | { ok: true; cached: string | null }
  | { ok: false; limit: Refusal }
);

/**
 * Admissions and settles go to Redis once a turn of the event loop, each turn's in one script call,
 * never waiting behind another batch: so a settle is always ahead of an admission of a later turn.
 */
const sentEachTurn = { gather: "turn", maxInFlight: Number.POSITIVE_INFINITY } as const;

/** One call's reservation as the admit script takes it. */
type Admit = { keys: string[]; args: (string | number)[] };
type AdmitReply = [0 | 1, Refusal | "ok", number, number, number, number, string | null];

/**
 * Reads a call's cache entry, checks every limit and, when none is exceeded, reserves the call's
 * slot, tokens and cost: one round trip, shared by the calls admitted in the same turn of the event
 * loop (a busy gateway admits ten to twenty a turn; each Redis command costs CPU of its own).
 */
export function createReserve(redis: Redis) {
  const admitAll = batched<Admit, AdmitReply>(
    async (calls) =>
      (await admitScript(
        redis,
        calls.flatMap((call) => call.keys),
        calls.flatMap((call) => call.args),
      )) as AdmitReply[],
    sentEachTurn,
  );
  return async function reserve(keys: LimitKeys, limits: Limits, reservation: Reservation, now: Date): Promise<Reserved> {
    const { day, month } = budgetPeriodsOf(now);
    const dayMs = 24 * 3600_000;
    const { user, key } = limits;
    const [admitted, limit, userRequests, userTokens, keyRequests, keyTokens, cached] = await admitAll({
      keys: [
        keys.userRequests,
        keys.userTokens,
        keys.userRunning,
        keys.keyRequests,
        keys.keyTokens,
        keys.keyRunning,
        keys.dailySpend,
        keys.monthlySpend,
        keys.banned,
        // Without a lookup, a key the script leaves alone (KEYS names every key a script touches).
        reservation.cached?.key ?? keys.banned,
      ],
      args: [
        now.getTime(),
        reservation.id,
        reservation.leaseEndsAt,
        reservation.tokens,
        reservation.costNano,
        user.rpm,
        user.tpm,
        user.concurrency,
        key?.rpm ?? 0,
        key?.tpm ?? 0,
        key?.concurrency ?? 0,
        user.dailyBudgetNano,
        user.monthlyBudgetNano,
        // A period's spend is kept a day past its end (what GET /ai/limits shows, and slack for a clock skew).
        day.endsAt.getTime() - now.getTime() + dayMs,
        month.endsAt.getTime() - now.getTime() + dayMs,
        reservation.cached?.startsWith ?? "",
      ],
    });
    const counts = { userRequests, userTokens, keyRequests, keyTokens };
    return admitted === 1 ? { ok: true, cached: cached ?? null, ...counts } : { ok: false, limit: limit as Refusal, ...counts };
  };
}

export type Reserve = ReturnType<typeof createReserve>;

/** A response-cache entry to write: its Redis key, the entry, and for how long. */
export type CacheWrite = { key: string; value: string; ttlSeconds: number };

export type Release = { id: string; tokensDelta: number; costNanoDelta: number; record: string; cache: CacheWrite | null };

/**
 * Releases reserved calls, corrects their tokens and cost to what they used, queues their usage
 * records (XADD) and writes the answers they leave to the response cache: one round trip for the
 * calls settled in the same turn, so never behind an admission of a later turn (and an answer kept
 * is there for it). A failed command fails each of its calls' settles (a record may then be written
 * twice: its writer keeps one row per id).
 */
export function createRelease(redis: Redis, stream: string) {
  const releaseAll = batched<{ keys: LimitKeys; call: Release }, void>(async (releases) => {
    await settleScript(
      redis,
      [
        stream,
        ...releases.flatMap(({ keys, call }) => [
          keys.userTokens,
          keys.keyTokens,
          keys.userRunning,
          keys.keyRunning,
          keys.dailySpend,
          keys.monthlySpend,
          // Without an answer to keep, a key the script leaves alone (KEYS names every key a script touches).
          call.cache?.key ?? keys.userTokens,
        ]),
      ],
      releases.flatMap(({ call }) => [call.id, call.tokensDelta, call.costNanoDelta, call.record, call.cache?.value ?? "", call.cache?.ttlSeconds ?? 0]),
    );
    return releases.map(() => undefined);
  }, sentEachTurn);
  return (keys: LimitKeys, call: Release) => releaseAll({ keys, call });
}
