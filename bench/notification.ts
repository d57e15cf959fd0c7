/**
 * `bun run bench:notification`: the notification service's realtime delivery, as ratios and
 * figures measured in one run on the same machine (see DESIGN.md, "Performance"):
 *   (a) memory per idle WebSocket with BENCH_SOCKETS (10,000) open, from the service's RSS before
 *       and after (target ≤ 8 KB each), and the p99 of a broadcast: one message published on every
 *       connected user's channel at once, publish to receipt at every socket;
 *   (b) in-app notifications accepted by POST /notifications/send and received by connected sockets
 *       per second, as a ratio to a bare BullMQ worker's job rate (no-op jobs, added and processed
 *       in the same way: target ≥ 0.5), with the p99 from the request to receipt. Alternating rounds;
 *       then the same with BENCH_RECIPIENTS (10) users a request, as a second figure;
 *   (c) emails per second into a local SMTP server (bench/lib/smtp-sink.ts, a process of its own):
 *       POST /notifications/send to users with a known address, through the email jobs and the
 *       service's nodemailer pool, from the first request to the last message received, as a ratio
 *       to the service's own mailer sending the same rendered messages straight to the same server at
 *       the email worker's concurrency (NOTIFICATION_EMAIL_CONCURRENCY). Alternating rounds.
 * The service runs in this process (its RSS is this process's, measured around the sockets); the
 * clients run in bench/lib/ws-clients.ts, a process of their own. Tokens come from a test issuer
 * (no auth service needed): its users have no email address, so a notification is in-app only.
 *
 * Knobs (env): BENCH_SOCKETS (10000), BENCH_SOCKETS_PER_USER (10), BENCH_BROADCASTS (5),
 * BENCH_NOTIFICATIONS (3000 per round), BENCH_ROUNDS (2), BENCH_CONCURRENCY (16 sends in flight),
 * BENCH_RECEIVERS (200 users, one socket each, for (b)), BENCH_RECIPIENTS (10 per request, b's
 * second figure), BENCH_WARMUP_ROUNDS (2 unmeasured rounds of (b) first), BENCH_EMAILS (1000 per
 * round, for (c)), BENCH_PARTS (a,b,c: the parts to run).
 */
import { parseEnv } from "@lodge/config";
import { recipients } from "@lodge/db/schema";
import { createTestDatabase } from "@lodge/db/testing";
import { createQueue, createWorker } from "@lodge/jobs";
import { createLogger } from "@lodge/kit";
import { createTestRedis, startTestIssuer } from "@lodge/kit/testing";
import postgres from "postgres";
import { render, typeNamed } from "../apps/notification/src/catalog/index";
import { notificationEnv } from "../apps/notification/src/env";
import { createMailer, messageIdFor } from "../apps/notification/src/helpers/mailer";
import { startNotificationService } from "../apps/notification/src/service";
import { cpuMs } from "./lib/processes";
import { root, setting } from "./lib/settings";

const socketCount = setting("BENCH_SOCKETS", 10_000);
const socketsPerUser = setting("BENCH_SOCKETS_PER_USER", 10);
const broadcasts = setting("BENCH_BROADCASTS", 5);
const notificationsPerRound = setting("BENCH_NOTIFICATIONS", 3000);
const rounds = setting("BENCH_ROUNDS", 2);
const concurrency = setting("BENCH_CONCURRENCY", 16);
const receivers = setting("BENCH_RECEIVERS", 200);
const recipientsPerRequest = setting("BENCH_RECIPIENTS", 10);
const warmupRounds = setting("BENCH_WARMUP_ROUNDS", 2);
const emailsPerRound = setting("BENCH_EMAILS", 1000);
const parts = new Set((process.env.BENCH_PARTS ?? "a,b,c").split(",").map((part) => part.trim()));
const log = (message: string) => console.error(`[bench:notification] ${message}`);
/** Wall milliseconds with sub-millisecond precision: the clock the clients compare against. */
const now = () => performance.timeOrigin + performance.now();

type Report = { received: number; p50Ms: number; p99Ms: number; lastAt: number };

/** A helper process (the socket clients, the SMTP sink), asked one thing at a time over IPC; `started` is its first message. */
async function startHelper<Started>(script: string) {
  const waiting: ((answer: unknown) => void)[] = [];
  const started = new Promise<unknown>((resolve) => waiting.push(resolve)) as Promise<Started>;
  const child = Bun.spawn([process.execPath, "run", script], {
    cwd: root,
    stdio: ["ignore", "inherit", "inherit"],
    ipc: (answer) => waiting.shift()?.(answer),
  });
  const first = await started;
  const ask = async <T>(command: unknown): Promise<T> => {
    const answer = (await new Promise((resolve: (answer: unknown) => void) => {
      waiting.push(resolve);
      child.send(command);
    })) as T & { error?: string };
    if (answer.error) throw new Error(`clients: ${answer.error}`);
    return answer;
  };
  return { ask, started: first, pid: child.pid, stop: () => child.kill() };
}

/** Runs `count` calls of `work` with `limit` in flight. */
async function inFlight(count: number, limit: number, work: (index: number) => Promise<unknown>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

const rss = () => {
  Bun.gc(true);
  return process.memoryUsage().rss;
};

async function main() {
  log(`${navigator.hardwareConcurrency} cores; Bun ${Bun.version}; open files limit ${Bun.spawnSync(["sh", "-c", "ulimit -n"]).stdout.toString().trim()}`);
  const database = await createTestDatabase();
  const redis = await createTestRedis();
  const issuer = await startTestIssuer();
  const sink = await startHelper<{ url: string }>("bench/lib/smtp-sink.ts");
  const service = await startNotificationService({
    env: parseEnv(notificationEnv, {
      DATABASE_URL: database.url,
      REDIS_URL: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
      REDIS_PREFIX: redis.prefix,
      JWKS_URL: issuer.jwksUrl,
      LOG_LEVEL: "warn",
      SMTP_URL: sink.started.url,
      NOTIFICATION_WS_MAX_PER_USER: String(socketsPerUser),
      // The bench is one caller sending as fast as it can.
      NOTIFICATION_SEND_PER_MINUTE: "1000000",
    }),
    database,
    redis: redis.redis,
    logger: createLogger({ service: "notification", level: "warn" }),
  });
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: service.app.fetch,
    websocket: service.websocket as Bun.WebSocketHandler<undefined>,
  });
  const base = `http://127.0.0.1:${server.port}`;
  const clients = await startHelper("bench/lib/ws-clients.ts");

  /** How the bench sends a notification: POST /notifications/send, as a service client (scope notifications:send) would. */
  const sender = await issuer.client("bench", ["notifications:send"]);
  const sendNotification = async (userIds: string[], title: string) => {
    const to = userIds.length === 1 ? { userId: userIds[0] } : { userIds };
    const response = await fetch(`${base}/notifications/send`, {
      method: "POST",
      headers: { authorization: `Bearer ${sender}`, "content-type": "application/json" },
      body: JSON.stringify({ ...to, type: "system.announcement", data: { title, body: "bench" } }),
    });
    if (response.status !== 202) throw new Error(`send: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  };

  const ticketUrls = async (users: { token: string }[], perUser: number) => {
    const urls: string[] = [];
    await inFlight(users.length * perUser, 32, async (index) => {
      const user = users[Math.floor(index / perUser)] as { token: string };
      const response = await fetch(`${base}/notifications/realtime/ticket`, { method: "POST", headers: { authorization: `Bearer ${user.token}` } });
      if (response.status !== 200) throw new Error(`ticket: ${response.status} ${await response.text()}`);
      urls.push(`ws://127.0.0.1:${server.port}/notifications/realtime?ticket=${((await response.json()) as { ticket: string }).ticket}`);
    });
    return urls;
  };
  const report = () => clients.ask<Report>({ cmd: "report" });
  const lines: string[] = [];

  async function socketsAndBroadcast() {
    const users = await Promise.all(Array.from({ length: Math.ceil(socketCount / socketsPerUser) }, () => issuer.user()));
    const urls = (await ticketUrls(users, socketsPerUser)).slice(0, socketCount);
    // Warm-up: the first sockets allocate what every later one shares (buffers, code), outside the measure.
    const warm = await clients.ask<{ connected: number }>({ cmd: "connect", urls: urls.splice(0, socketsPerUser) });
    await Bun.sleep(500);
    const before = rss();
    log(`(a) ${urls.length} more sockets (${warm.connected} already open), ${socketsPerUser} per user`);
    const started = performance.now();
    const { connected } = await clients.ask<{ connected: number }>({ cmd: "connect", urls });
    const connectSeconds = (performance.now() - started) / 1000;
    await Bun.sleep(2000);
    const after = rss();
    // The clients' count is of every socket open, the warm-up's included.
    const perSocket = (after - before) / (connected - warm.connected);
    log(
      `${connected - warm.connected} sockets open in ${connectSeconds.toFixed(1)} s; RSS ${(before / 2 ** 20).toFixed(1)} → ${(after / 2 ** 20).toFixed(1)} MiB`,
    );

    await clients.ask({ cmd: "reset" });
    const total = connected;
    let broadcastSeconds = 0;
    for (let round = 1; round <= broadcasts; round++) {
      const sentAt = now();
      await Promise.all(users.map((user) => service.deps.realtime.publish(user.id, { type: "bench.broadcast", data: { sentAt } })));
      await until(async () => (await report()).received >= round * total, `broadcast ${round}`);
      broadcastSeconds += ((await report()).lastAt - sentAt) / 1000;
    }
    const broadcast = await report();
    await clients.ask({ cmd: "close" });
    return [
      `memory per idle WebSocket (${total} open)`.padEnd(62) +
        `${(perSocket / 1024).toFixed(2)} KB`.padEnd(14) +
        `target <= 8 KB  ${perSocket <= 8 * 1024 ? "PASS" : "MISS"}`,
      `broadcast to ${total} sockets (${users.length} users), ${broadcasts}×`.padEnd(62) +
        `p50 ${broadcast.p50Ms.toFixed(1)} ms, p99 ${broadcast.p99Ms.toFixed(1)} ms, all in ${((broadcastSeconds / broadcasts) * 1000).toFixed(0)} ms on average`,
    ];
  }

  async function notificationsVsBare() {
    const listeners = await Promise.all(Array.from({ length: receivers }, () => issuer.user()));
    await clients.ask({ cmd: "connect", urls: await ticketUrls(listeners, 1) });
    const queue = createQueue<{ at: number }>("bench-bare", service.deps.jobsConnection);
    let completed = 0;
    const worker = createWorker<{ at: number }>("bench-bare", async () => {}, service.deps.jobsConnection, { concurrency });
    worker.on("completed", () => {
      completed += 1;
    });

    const measured = {
      bare: [] as number[],
      bareCpuMs: [] as number[],
      bareOthers: [] as Others[],
      notifications: [] as { rate: number; p50Ms: number; p99Ms: number; cpuMs: number; others: Others }[],
      batched: [] as { rate: number }[],
    };
    /** This process's CPU time (user + system) since `before`, per item: the service, the bench's HTTP client and BullMQ's queue and worker. */
    const cpuMsEach = (before: NodeJS.CpuUsage, count: number) => {
      const used = process.cpuUsage(before);
      return (used.user + used.system) / 1000 / count;
    };
    // The other processes' CPU (from /proc, 10 ms ticks): the database's Postgres backends, the Redis
    // server (shared with anything else using it), the socket clients' process.
    const redisPid = Number((await redis.redis.info("server")).match(/process_id:(\d+)/)?.[1]);
    const sql = postgres(database.url, { max: 1 });
    const othersCpu = async () => {
      const backends = await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
      const postgres = new Map(await Promise.all(backends.map(async ({ pid }) => [pid, await cpuMs(pid)] as const)));
      return { postgres, redis: await cpuMs(redisPid), clients: await cpuMs(clients.pid) };
    };
    type Others = { postgres: number; redis: number; clients: number };
    const othersEach = (before: Awaited<ReturnType<typeof othersCpu>>, after: Awaited<ReturnType<typeof othersCpu>>, count: number): Others => {
      let postgres = 0;
      for (const [pid, ms] of after.postgres) postgres += ms - (before.postgres.get(pid) ?? 0);
      return { postgres: postgres / count, redis: (after.redis - before.redis) / count, clients: (after.clients - before.clients) / count };
    };
    const bare = async (count: number) => {
      const others = await othersCpu();
      const startedAt = performance.now();
      const cpuBefore = process.cpuUsage();
      const target = completed + count;
      await inFlight(count, concurrency, (index) => queue.add("noop", { at: index }));
      await until(async () => completed >= target, "the bare worker");
      measured.bareCpuMs.push(cpuMsEach(cpuBefore, count));
      measured.bareOthers.push(othersEach(others, await othersCpu(), count));
      return count / ((performance.now() - startedAt) / 1000);
    };
    /** `count` notifications, `perRequest` recipients a request. */
    const notifications = async (count: number, perRequest = 1) => {
      await clients.ask({ cmd: "reset" });
      const others = await othersCpu();
      const startedAt = now();
      const cpuBefore = process.cpuUsage();
      await inFlight(Math.ceil(count / perRequest), concurrency, (request) =>
        sendNotification(
          Array.from({ length: perRequest }, (_, offset) => (listeners[(request * perRequest + offset) % receivers] as { id: string }).id),
          `bench ${now()}`,
        ),
      );
      await until(async () => (await report()).received >= count, "the notifications' receipt");
      const received = await report();
      const cpu = cpuMsEach(cpuBefore, count);
      return {
        rate: count / ((received.lastAt - startedAt) / 1000),
        p50Ms: received.p50Ms,
        p99Ms: received.p99Ms,
        cpuMs: cpu,
        others: othersEach(others, await othersCpu(), count),
      };
    };

    log(
      `(b) ${rounds} rounds of ${notificationsPerRound} no-op jobs and ${notificationsPerRound} notifications to ${receivers} sockets, ${concurrency} in flight`,
    );
    // Warm-up: the measured rounds themselves, unmeasured, so each side's code is compiled by the JIT
    // (whose threads count in this process's CPU) as far before its measure as the other's.
    for (let round = 0; round < warmupRounds; round++) {
      await bare(notificationsPerRound);
      await notifications(notificationsPerRound);
      await notifications(notificationsPerRound, recipientsPerRequest);
    }
    measured.bareCpuMs.length = 0;
    measured.bareOthers.length = 0;
    for (let round = 0; round < rounds; round++) {
      measured.bare.push(await bare(notificationsPerRound));
      measured.notifications.push(await notifications(notificationsPerRound));
      measured.batched.push(await notifications(notificationsPerRound, recipientsPerRequest));
    }
    await worker.close();
    await queue.close();
    await sql.end();
    await clients.ask({ cmd: "close" });
    const bareRate = mean(measured.bare);
    const notificationRate = mean(measured.notifications.map((round) => round.rate));
    const ratio = notificationRate / bareRate;
    const batchedRate = mean(measured.batched.map((round) => round.rate));
    const others = (rounds: Others[]) =>
      `Postgres ${mean(rounds.map((round) => round.postgres)).toFixed(3)}, Redis ${mean(rounds.map((round) => round.redis)).toFixed(3)}, clients ${mean(rounds.map((round) => round.clients)).toFixed(3)} ms`;
    return [
      "POST /notifications/send → received / bare BullMQ jobs".padEnd(62) +
        `${notificationRate.toFixed(0)}/s vs ${bareRate.toFixed(0)}/s`.padEnd(22) +
        `ratio ${ratio.toFixed(2)}  target >= 0.50  ${ratio >= 0.5 ? "PASS" : "MISS"}`,
      "  per round".padEnd(62) +
        measured.notifications.map((round, index) => `${round.rate.toFixed(0)}/s vs ${(measured.bare[index] as number).toFixed(0)}/s`).join(", "),
      "  CPU of this process per notification / per bare job".padEnd(62) +
        `${mean(measured.notifications.map((round) => round.cpuMs)).toFixed(3)} ms vs ${mean(measured.bareCpuMs).toFixed(3)} ms`,
      "  CPU of the others per notification (Redis is shared)".padEnd(62) + others(measured.notifications.map((round) => round.others)),
      "  CPU of the others per bare job".padEnd(62) + others(measured.bareOthers),
      "  send → receive latency".padEnd(62) +
        `p50 ${Math.max(...measured.notifications.map((round) => round.p50Ms)).toFixed(1)} ms, p99 ${Math.max(...measured.notifications.map((round) => round.p99Ms)).toFixed(1)} ms (worst round)`,
      `  the same, ${recipientsPerRequest} recipients a request (not the target)`.padEnd(62) +
        `${batchedRate.toFixed(0)}/s vs ${bareRate.toFixed(0)}/s`.padEnd(22) +
        `ratio ${(batchedRate / bareRate).toFixed(2)}`,
    ];
  }

  async function emailsVsMailer() {
    const emailConcurrency = service.deps.config.emailConcurrency;
    const addressed = await Promise.all(Array.from({ length: receivers }, () => issuer.user()));
    await service.deps.db
      .insert(recipients)
      .values(addressed.map((user, index) => ({ userId: user.id, email: `bench-${index}@example.com`, updatedAt: new Date() })));
    const type = typeNamed("system.announcement");
    const rendered = render(type, { title: "bench email", body: "bench" }, "en", { timeZone: "UTC" }).email;
    const mailer = createMailer({ smtpUrl: sink.started.url, from: service.deps.config.mailFrom, logger: createLogger({ service: "bench", level: "warn" }) });
    const sunk = () => sink.ask<{ received: number; lastAt: number }>({ cmd: "report" });

    /** The same message sent straight to the SMTP server by the service's mailer (nodemailer, pooled), at the email worker's concurrency. */
    const direct = async (count: number) => {
      await sink.ask({ cmd: "reset" });
      const startedAt = now();
      await inFlight(count, emailConcurrency, (index) =>
        mailer.send({ to: `bench-${index % receivers}@example.com`, ...rendered, messageId: messageIdFor(Bun.randomUUIDv7(), service.deps.config.mailFrom) }),
      );
      await until(async () => (await sunk()).received >= count, "the direct emails");
      return count / (((await sunk()).lastAt - startedAt) / 1000);
    };
    /** POST /notifications/send, one recipient a request: the notification, its email job, the worker's send. */
    const throughService = async (count: number) => {
      await sink.ask({ cmd: "reset" });
      const startedAt = now();
      await inFlight(count, concurrency, (index) => sendNotification([(addressed[index % receivers] as { id: string }).id], "bench email"));
      await until(async () => (await sunk()).received >= count, "the service's emails");
      return count / (((await sunk()).lastAt - startedAt) / 1000);
    };

    log(`(c) ${rounds} rounds of ${emailsPerRound} emails straight and through the service, email concurrency ${emailConcurrency}`);
    await direct(200);
    await throughService(200);
    const measured = { direct: [] as number[], service: [] as number[] };
    for (let round = 0; round < rounds; round++) {
      measured.direct.push(await direct(emailsPerRound));
      measured.service.push(await throughService(emailsPerRound));
    }
    mailer.close();
    const directRate = mean(measured.direct);
    const serviceRate = mean(measured.service);
    return [
      "emails: POST /notifications/send → SMTP / nodemailer direct".padEnd(62) +
        `${serviceRate.toFixed(0)}/s vs ${directRate.toFixed(0)}/s`.padEnd(22) +
        `ratio ${(serviceRate / directRate).toFixed(2)}`,
      "  per round".padEnd(62) + measured.service.map((rate, index) => `${rate.toFixed(0)}/s vs ${(measured.direct[index] as number).toFixed(0)}/s`).join(", "),
    ];
  }

  try {
    // ---------------------------------------------------------------- (a) idle sockets and broadcast
    if (parts.has("a")) lines.push(...(await socketsAndBroadcast()));
    // ---------------------------------------------------------------- (b) notifications vs a bare BullMQ worker
    if (parts.has("b")) lines.push(...(await notificationsVsBare()));
    // ---------------------------------------------------------------- (c) emails into a local SMTP server
    if (parts.has("c")) lines.push(...(await emailsVsMailer()));

    console.log(`\nNotification bench: ${navigator.hardwareConcurrency} cores, Bun ${Bun.version}\n`);
    for (const line of lines) console.log(line);
    return true;
  } finally {
    clients.stop();
    sink.stop();
    await server.stop(true);
    await service.close();
    await issuer.stop();
    await database.drop().catch(() => {});
    await redis.cleanup().catch(() => {});
  }
}

let clean = false;
try {
  clean = await main();
} catch (error) {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
}
process.exit(clean ? 0 : 1);
