/**
 * The kit's request path alone, for `bench:kit`: a service app (`createServiceApp`, as every Lodge
 * service builds it) with trivial routes and no database or Redis work, served by Bun on PORT.
 * Access logs go to stdout at LOG_LEVEL (info, as in production).
 */
import { createLogger, createMetrics, createRouter, createServiceApp } from "@lodge/kit";

const port = Number(process.env.PORT);
const logger = createLogger({ service: "kitbench", level: process.env.LOG_LEVEL ?? "info" });
const app = createServiceApp({
  service: "kitbench",
  logger,
  metrics: createMetrics("kitbench"),
  corsOrigins: ["http://localhost:5173"],
  trustedProxies: ["127.0.0.1/32"],
  bodyLimitBytes: 1024 * 1024,
  checks: {},
  openApi: { prefix: "/kit", title: "kit bench" },
});
const router = createRouter();
router.get("/kit/hello", (c) => c.json({ ok: true }));
router.post("/kit/hello", async (c) => c.json({ ok: typeof (await c.req.json()).text === "string" }));
app.route("/", router);
Bun.serve({ port, hostname: "127.0.0.1", fetch: app.fetch });
// Exits cleanly on a signal, so `bun --cpu-prof` writes its profile.
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => process.exit(0));
