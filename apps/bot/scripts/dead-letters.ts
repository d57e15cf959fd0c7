/**
 * `bun run --cwd apps/bot updates:dead-letters [list | redrive <id> | redrive --all | discard <id>]`:
 * the Telegram updates the bot gave up on (after their retries), from REDIS_URL under REDIS_PREFIX.
 * Redrive once what made them fail is fixed: each goes back on its chat's queue and is run again.
 */
import { loadEnv, z } from "@lodge/config";
import { connectRedis } from "@lodge/kit";
import { botEnv } from "../src/env";
import { updateDeadLetters } from "../src/updates/dead-letters";

const { shape } = botEnv;
const env = loadEnv(z.object({ REDIS_URL: shape.REDIS_URL, REDIS_PREFIX: shape.REDIS_PREFIX, BOT_QUEUE_SHARDS: shape.BOT_QUEUE_SHARDS }));
const redis = await connectRedis(env.REDIS_URL);
const letters = updateDeadLetters({ redis, prefix: env.REDIS_PREFIX, shards: env.BOT_QUEUE_SHARDS });
const [command = "list", argument] = process.argv.slice(2);
let code = 0;
if (command === "list") {
  const all = await letters.list(1000);
  for (const letter of all) {
    const updateId = (JSON.parse(letter.update || "null") as { update_id?: number } | null)?.update_id;
    console.log(
      `${letter.id}  ${letter.failedAt ?? "-"}  update ${updateId ?? "?"} (${letter.type ?? "?"}, chat ${letter.key || "-"})  ${letter.attempts ?? "?"} attempts: ${letter.error ?? ""}`,
    );
  }
  console.log(`${all.length} dead letter(s)`);
} else if (command === "redrive" && argument === "--all") {
  console.log(`redriven: ${await letters.redriveAll()}`);
} else if (command === "redrive" && argument) {
  const done = await letters.redrive(argument);
  console.log(done ? `redriven: ${argument}` : `no such letter with an update to run: ${argument}`);
  code = done ? 0 : 1;
} else if (command === "discard" && argument) {
  const done = await letters.discard(argument);
  console.log(done ? `discarded: ${argument}` : `no such letter: ${argument}`);
  code = done ? 0 : 1;
} else {
  console.error("usage: dead-letters.ts [list | redrive <id> | redrive --all | discard <id>]");
  code = 1;
}
redis.disconnect();
process.exit(code);
