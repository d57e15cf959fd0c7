import { createHash } from "node:crypto";
import { Command, type Redis } from "ioredis";

/**
 * A Lua script run by its SHA (EVALSHA: the source is not sent on every call); a server that does
 * not know it yet (first use, a restart, SCRIPT FLUSH) is sent the source once (EVAL caches it).
 *
 * `autoPipelined: false` writes each call to the socket at once. ioredis's auto-pipelining keeps
 * one pipeline in flight per connection: a command issued while one is out waits for all of that
 * one's replies, a whole round trip. For scripts whose calls are already gathered (the kit's
 * `batched`) and that a request waits on, that wait is pure latency. Calls sent this way keep
 * their order among themselves, not against auto-pipelined commands.
 */
export function luaScript(source: string, options: { autoPipelined?: boolean } = {}) {
  const sha = createHash("sha1").update(source).digest("hex");
  const send = (redis: Redis, name: "evalsha" | "eval", args: (string | number)[]): Promise<unknown> => {
    if (options.autoPipelined !== false) return redis[name](...(args as [string, number]));
    const command = new Command(name, args, { replyEncoding: "utf8" });
    redis.sendCommand(command);
    return command.promise;
  };
  return async (redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> => {
    try {
      return await send(redis, "evalsha", [sha, keys.length, ...keys, ...args]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith("NOSCRIPT")) throw error;
      return send(redis, "eval", [source, keys.length, ...keys, ...args]);
    }
  };
}
