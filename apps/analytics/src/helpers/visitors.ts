import { createHmac } from "node:crypto";
import { luaScript, type Redis } from "@lodge/kit";

/** A visit ends after this long without events. */
export const VISIT_TIMEOUT_MS = 30 * 60_000;
/** A day's salt outlives its day a little (instances whose clocks differ agree on it), then Redis forgets it. */
const SALT_TTL_SECONDS = 48 * 3600;

const utcDay = (at: Date) => at.toISOString().slice(0, 10);

// One round trip per request, whose events span [first, last] (ms): the visitor's visit goes on
// if its last event is less than the timeout before `first`, else a new one begins at `first`.
// Returns its start. The key holds "start:last"; its expiry only forgets idle visitors.
const visitScript = luaScript(`
local state = redis.call('GET', KEYS[1])
local first = tonumber(ARGV[1])
local last = tonumber(ARGV[2])
local timeout = tonumber(ARGV[3])
local start = first
if state then
  local s, l = string.match(state, '^(%d+):(%d+)$')
  if s and first - tonumber(l) < timeout then
    start = tonumber(s)
    last = math.max(last, tonumber(l))
  end
end
redis.call('SET', KEYS[1], start .. ':' .. last, 'PX', timeout)
return start
`);

/**
 * Who a visitor is without storing who they are: hash(the day's salt, site, IP, user agent), a
 * signed 64-bit integer. The salt is random, one per UTC day for every instance (SET NX), kept in
 * Redis for 48 hours and the previous day's deleted when a day's is made: once it is gone the
 * hashes of that day cannot be linked to anyone, nor to the next day's. Each instance keeps the
 * day's salt in memory.
 */
export function createVisitors(options: { redis: Redis; prefix: string }) {
  const { redis, prefix } = options;
  const saltKey = (day: string) => `${prefix}analytics:salt:${day}`;
  let cached: { day: string; salt: Promise<string> } | undefined;

  const loadSalt = async (day: Date): Promise<string> => {
    const fresh = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64");
    // SET NX GET: the salt another instance made first, or nil when ours was stored.
    const existing = (await redis.call("SET", saltKey(utcDay(day)), fresh, "NX", "GET", "EX", SALT_TTL_SECONDS)) as string | null;
    if (existing !== null) return existing;
    await redis.del(saltKey(utcDay(new Date(day.getTime() - 86_400_000))));
    return fresh;
  };

  const saltOf = (at: Date): Promise<string> => {
    const day = utcDay(at);
    if (cached?.day !== day) {
      const salt = loadSalt(at);
      cached = { day, salt };
      salt.catch(() => {
        if (cached?.salt === salt) cached = undefined;
      });
    }
    return cached.salt;
  };

  return {
    /** The visitor id (decimal text of a signed 64-bit integer) of this client on this site, today. */
    async visitorId(siteId: string, ip: string, userAgent: string, now: Date): Promise<string> {
      const hash = createHmac("sha256", await saltOf(now))
        .update(`${siteId}\n${ip}\n${userAgent}`)
        .digest();
      return hash.readBigInt64BE(0).toString();
    },
    /** When the visit of events from `first` to `last` (ms) began: the visitor's current one, or a new one at `first`. */
    async visitStart(siteId: string, visitorId: string, first: number, last: number): Promise<number> {
      return Number(await visitScript(redis, [`${prefix}analytics:visit:${siteId}:${visitorId}`], [first, last, VISIT_TIMEOUT_MS]));
    },
  };
}

export type Visitors = ReturnType<typeof createVisitors>;
