import { ApiError } from "@lodge/kit";
import type { Ctx } from "../deps";

const LOCK_MS = 60_000;
const POLL_MS = 50;

export type Release = () => Promise<void>;

/**
 * One writer per upload across instances: PATCH, termination, expiry and the storage sweeper all
 * take it, so no part can be written for an upload that is being removed. Refreshed while a long
 * PATCH streams. `waitMs` > 0 waits that long for a holder to finish (termination waits for a
 * PATCH whose client has just gone away); past it, or with 0, a held lock is a 409.
 */
export async function lockUpload(ctx: Ctx, id: string, waitMs = 0): Promise<Release> {
  const release = await tryLockUpload(ctx, id, waitMs);
  if (!release) throw new ApiError({ code: "CONFLICT", message: "Another request is writing to this upload; try again shortly" });
  return release;
}

/** As lockUpload, but resolves undefined instead of throwing when the lock stays held (for background work that skips a busy upload). */
export async function tryLockUpload(ctx: Ctx, id: string, waitMs = 0): Promise<Release | undefined> {
  const { redis, redisPrefix } = ctx.deps;
  const key = `${redisPrefix}file:upload-lock:${id}`;
  const token = crypto.randomUUID();
  const deadline = performance.now() + waitMs;
  while ((await redis.set(key, token, "PX", LOCK_MS, "NX")) !== "OK") {
    if (performance.now() >= deadline) return undefined;
    await Bun.sleep(POLL_MS);
  }
  const refresh = setInterval(() => void redis.pexpire(key, LOCK_MS).catch(() => {}), LOCK_MS / 3);
  return async () => {
    clearInterval(refresh);
    await redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, key, token).catch(() => {});
  };
}
