import { createHash } from "node:crypto";
import { Command, type Redis } from "ioredis";

export type LuaScriptOptions = {
  /**
   * Each call is already a batch (a `batched` one sent once a turn): written to the socket at once
   * instead of joining the client's auto-pipeline, which would hold it for one more turn of the
   * event loop and wrap it in a pipeline of its own (for a lone call, about a third of the
   * command's CPU in the client). Calls made per request should leave it off: auto-pipelining is
   * what puts concurrent requests' commands in one socket write.
   */
  sentAtOnce?: boolean;
};

/**
 * A Lua script run by its SHA (EVALSHA: the source is not sent on every call); a server that does
 * not know it yet (first use, a restart, SCRIPT FLUSH) is sent the source once (EVAL caches it).
 */
export function luaScript(source: string, options: LuaScriptOptions = {}) {
  const sha = createHash("sha1").update(source).digest("hex");
  const evalsha = (redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> =>
    options.sentAtOnce
      ? // What `redis.evalsha` builds, sent without the auto-pipeline (the client's timeouts and offline rules still apply).
        (redis.sendCommand(
          new Command("evalsha", [sha, keys.length, ...keys, ...args], { keyPrefix: redis.options.keyPrefix, replyEncoding: "utf8" }),
        ) as Promise<unknown>)
      : redis.evalsha(sha, keys.length, ...keys, ...args);
  return async (redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> => {
    try {
      return await evalsha(redis, keys, args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}
