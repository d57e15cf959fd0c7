/**
 * `bun run dev`: every service in one process on http://localhost:8080 with the public URL layout.
 * Uses DATABASE_URL and REDIS_URL when set; otherwise an embedded Postgres (PGlite, data under
 * .data/pglite) and a `redis-server` child process (data under .data/redis).
 */
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startAiService } from "@lodge/ai";
import { aiEnv } from "@lodge/ai/env";
import { startAnalyticsService } from "@lodge/analytics";
import { analyticsEnv } from "@lodge/analytics/env";
import { createAdmin, startAuthService } from "@lodge/auth";
import { authEnv } from "@lodge/auth/env";
import { startBotService } from "@lodge/bot";
import { botEnv } from "@lodge/bot/env";
import { parseEnv } from "@lodge/config";
import { createDatabase } from "@lodge/db";
import { startFileService } from "@lodge/file";
import { fileEnv } from "@lodge/file/env";
import { connectRedis, createDocsHandler, createLogger, type ServiceWebSocketHandler } from "@lodge/kit";
import { startNotificationService } from "@lodge/notification";
import { notificationEnv } from "@lodge/notification/env";
import { clientSettings, envName, machineClients, type ServiceName, servesPath, services } from "@lodge/services";
import { startUserService } from "@lodge/user";
import { userEnv } from "@lodge/user/env";
import { createReadableLogs } from "./readable-logs";

const PORT = Number(process.env.PORT ?? 8080);
const DEV_REDIS_PORT = Number(process.env.DEV_REDIS_PORT ?? 6390);
const randomSecret = () => crypto.randomUUID().replaceAll("-", "") + crypto.randomUUID().replaceAll("-", "");
const dataDir = resolve(process.env.LODGE_DATA_DIR ?? resolve(import.meta.dir, "../.data"));

async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: async () => {} };
  if (!Bun.which("redis-server")) {
    console.error("redis-server was not found. Install Redis (Debian/Ubuntu: apt install redis-server, macOS: brew install redis) or set REDIS_URL.");
    process.exit(1);
  }
  mkdirSync(`${dataDir}/redis`, { recursive: true });
  // Its own process group: Ctrl-C reaches us first, and we stop Redis after the services have drained.
  const child = spawn(
    "redis-server",
    ["--port", String(DEV_REDIS_PORT), "--bind", "127.0.0.1", "--dir", `${dataDir}/redis`, "--appendonly", "yes", "--save", ""],
    { detached: true, stdio: ["ignore", "ignore", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url: `redis://127.0.0.1:${DEV_REDIS_PORT}`,
    stop: async () => {
      child.kill();
      await exited;
    },
  };
}

const redisProcess = await startRedis();
const redis = await connectRedis(redisProcess.url).catch((error: Error) => {
  console.error(`${error.message}. Is another process using port ${DEV_REDIS_PORT}? Set REDIS_URL to use your own Redis.`);
  void redisProcess.stop();
  process.exit(1);
});
if (!process.env.DATABASE_URL) mkdirSync(`${dataDir}/pglite`, { recursive: true });
const database = await createDatabase(process.env.DATABASE_URL ? { url: process.env.DATABASE_URL } : { dataDir: `${dataDir}/pglite` });
await database.migrate();

const gateway = `http://localhost:${PORT}`;
// Each service's machine client at auth (the scopes @lodge/services gives it), made up for this run.
const clients = clientSettings(machineClients(randomSecret));

const shared = {
  NODE_ENV: "development",
  LOG_LEVEL: "info",
  AUTH_COOKIE_SECURE: "false",
  CORS_ORIGINS: "http://localhost:3000",
  // Services call each other through the gateway (<NAME>_URL), as they go through Caddy in production.
  ...Object.fromEntries(services.map((service) => [envName(service.name, "URL"), gateway])),
  ...process.env,
  // The embedded database is passed in directly; the URL only satisfies the env schema.
  DATABASE_URL: process.env.DATABASE_URL ?? "postgres://embedded@localhost/lodge",
  REDIS_URL: redisProcess.url,
  JWKS_URL: `${gateway}/.well-known/jwks.json`,
  ...clients.serviceEnv,
};

const readableLogs = createReadableLogs();
const loggerFor = (service: string) => createLogger({ service, level: shared.LOG_LEVEL, destination: readableLogs });
const common = { database, redis };

type Running = {
  app: { fetch: (request: Request, server: Bun.Server<undefined>) => Response | Promise<Response> };
  websocket?: ServiceWebSocketHandler;
  close: () => Promise<void>;
};
/** How `bun run dev` starts each service in the list (a service missing here is a type error). */
const starters: Record<ServiceName, () => Promise<Running>> = {
  auth: async () => {
    const logger = loggerFor("auth");
    const auth = await startAuthService({
      ...common,
      env: parseEnv(authEnv, {
        ...shared,
        AUTH_CLIENTS: [process.env.AUTH_CLIENTS, ...clients.authClients].filter(Boolean).join(";"),
      }),
      logger,
    });
    // What `admin:create` does in production; here the embedded database is this process's alone.
    if (process.env.ADMIN_EMAIL) {
      const password = process.env.ADMIN_PASSWORD ?? "";
      if (password.length < 10) throw new Error("ADMIN_EMAIL needs ADMIN_PASSWORD (10 to 256 characters)");
      const admin = await createAdmin({ ctx: { deps: auth.deps, logger }, input: { email: process.env.ADMIN_EMAIL, password } });
      logger.info({ email: process.env.ADMIN_EMAIL, created: admin.created }, "admin ready");
    }
    return auth;
  },
  user: () => startUserService({ ...common, env: parseEnv(userEnv, { PUBLIC_BASE_URL: gateway, ...shared }), logger: loggerFor("user") }),
  file: () => startFileService({ ...common, env: parseEnv(fileEnv, { FILE_STORAGE_DIR: `${dataDir}/files`, ...shared }), logger: loggerFor("file") }),
  notification: () =>
    startNotificationService({
      ...common,
      env: parseEnv(notificationEnv, { APP_URL: "http://localhost:3000", NOTIFICATION_PUBLIC_URL: gateway, ...shared }),
      logger: loggerFor("notification"),
    }),
  ai: () => startAiService({ ...common, env: parseEnv(aiEnv, shared), logger: loggerFor("ai") }),
  analytics: () => startAnalyticsService({ ...common, env: parseEnv(analyticsEnv, shared), logger: loggerFor("analytics") }),
  bot: () => startBotService({ ...common, env: parseEnv(botEnv, shared), logger: loggerFor("bot") }),
};
/** Started in the list's order (auth first), stopped in reverse. */
const running = {} as Record<ServiceName, Running>;
for (const { name } of services) running[name] = await starters[name]();

// Scalar's standalone bundle from node_modules (its package exports no path to it; it sits beside the main entry).
const scalarBundle = join(dirname(fileURLToPath(import.meta.resolve("@scalar/api-reference"))), "browser/standalone.js");
const docs = await createDocsHandler({
  sources: services.map(({ prefixes: [prefix] }) => ({ title: prefix.slice(1), url: `${prefix}/openapi.json` })),
  bundlePath: scalarBundle,
});

const webSockets = Object.values(running).find((service) => service.websocket)?.websocket;
const server = Bun.serve({
  port: PORT,
  idleTimeout: 30,
  // The file service enforces its own limits while streaming; the gateway must not cut uploads short.
  maxRequestBodySize: 16 * 1024 ** 3,
  // The services' WebSocket routes (the notification service's realtime socket): Hono's handler
  // dispatches each socket to the route that upgraded it, so one serves them all.
  websocket: webSockets as Bun.WebSocketHandler<undefined>,
  fetch(request, server) {
    const { pathname } = new URL(request.url);
    const page = docs(request);
    if (page) return page;
    // The public prefixes of the list of services: the same table Caddy has in production.
    const target = services.find((service) => servesPath(service, pathname));
    if (!target) return Response.json({ error: { code: "NOT_FOUND", message: "No such route", requestId: "" } }, { status: 404 });
    return running[target.name].app.fetch(request, server);
  },
});

console.log(`
Lodge is running on http://localhost:${server.port}
  API reference   http://localhost:${server.port}/docs
${services.map(({ name, prefixes: [prefix, ...others] }) => `  ${name.padEnd(15)} http://localhost:${server.port}${prefix}  (OpenAPI: ${prefix}/openapi.json${others.map((other) => `, also ${other}`).join("")})`).join("\n")}
  file storage    ${dataDir}/files
  database        ${database.kind === "pglite" ? `embedded PGlite in ${dataDir}/pglite` : "DATABASE_URL"}
  redis           ${process.env.REDIS_URL ? "REDIS_URL" : `redis-server child on port ${DEV_REDIS_PORT}`}
  email           ${process.env.SMTP_URL ? "SMTP_URL" : "written to this log (set SMTP_URL=smtp://user:pass@host:587 and MAIL_FROM to send it)"}
Press Ctrl-C to stop.
`);

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  console.log("\nstopping…");
  setTimeout(() => {
    console.error("services did not stop within 10 s, exiting anyway");
    void redisProcess.stop();
    process.exit(1);
  }, 10_000).unref();
  // Open WebSockets would hold stop() until their clients leave.
  webSockets?.closeAll();
  await server.stop();
  for (const { name } of services.toReversed()) await running[name].close();
  redis.disconnect();
  await database.close();
  await redisProcess.stop();
  process.exit(0);
}
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
