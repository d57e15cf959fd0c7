/**
 * Operator commands for the events given up on (run where REDIS_URL and REDIS_PREFIX point at
 * production, e.g. inside any service's container):
 *   bun run events:dead-letters list [--json] [--count N]   oldest first
 *   bun run events:dead-letters redrive <id> | --all        back to its stream, for the group that failed it
 *   bun run events:dead-letters discard <id>                drop it for good
 * Redrive once what made the event fail is fixed (a deploy, a repaired row): an event whose
 * payload is invalid for this code's catalog comes straight back.
 */
import { loadEnv, redisEnv } from "@lodge/config";
import { Redis } from "ioredis";
import { busKeys } from "./consume";
import { createDeadLetters, type DeadLetter } from "./dead-letters";

const usage = "usage: cli.ts list [--json] [--count N] | redrive <id> | redrive --all | discard <id>";
const [command, ...args] = process.argv.slice(2);

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function option(name: string): string | undefined {
  const index = args.indexOf(name);
  return index === -1 ? undefined : args[index + 1];
}

/** One line per letter: the id to redrive, who failed it, when, after how many attempts, and why (first line). */
function describe(letter: DeadLetter, streamPrefix: string): string {
  const type = letter.stream?.startsWith(streamPrefix) ? letter.stream.slice(streamPrefix.length) : letter.stream;
  let eventId = "-";
  try {
    eventId = String(JSON.parse(letter.event).id ?? "-");
  } catch {}
  const reason = (letter.error ?? "").split("\n")[0]?.slice(0, 160);
  return [letter.id, letter.group, type, eventId, letter.failedAt ?? "-", `attempts=${letter.attempts ?? "?"}`, reason].join("  ");
}

if (!command || !["list", "redrive", "discard"].includes(command)) fail(usage);
const env = loadEnv(redisEnv);
const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 5000, lazyConnect: true });
redis.on("error", () => {});
const keys = busKeys(env.REDIS_PREFIX);
const { streamPrefix } = keys;
const letters = createDeadLetters({ redis, key: keys.deadLetter, streamPrefix, maxLen: 100_000 });

try {
  await redis.connect().catch((error: Error) => fail(`Redis is not reachable: ${error.message}`));
  if (command === "list") {
    const count = Number(option("--count") ?? 1000);
    if (!Number.isInteger(count) || count < 1) fail("--count needs a positive integer");
    const found = await letters.list({ count });
    for (const letter of found) console.log(args.includes("--json") ? JSON.stringify(letter) : describe(letter, streamPrefix));
    if (!args.includes("--json")) console.log(`${found.length} dead letter(s)${found.length === count ? " shown (there may be more: --count)" : ""}`);
  } else if (command === "redrive") {
    if (args[0] === "--all") console.log(`redriven: ${await letters.redriveAll()}`);
    else if (args[0]) console.log((await letters.redrive(args[0])) ? `redriven: ${args[0]}` : `no dead letter ${args[0]}`);
    else fail("redrive needs <id> or --all");
  } else {
    if (!args[0]) fail("discard needs <id>");
    console.log((await letters.discard(args[0])) ? `discarded: ${args[0]}` : `no dead letter ${args[0]}`);
  }
} finally {
  redis.disconnect();
}
process.exit(0);
