/**
 * The README's quick start: `bun run dev` with neither DATABASE_URL nor REDIS_URL set starts an
 * embedded Postgres and a redis-server child, serves the public layout and /docs on one port,
 * and Ctrl-C (SIGINT) stops everything, Redis included. ADMIN_EMAIL makes an admin at start, who
 * registers a site whose pageview the analytics service stores and counts (on the embedded database). /docs renders in a headless Chromium that
 * cannot reach anything but loopback.
 */
import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually } from "@lodge/kit/testing";
import sharp from "sharp";
import { launchChromium, openOffline } from "./browser";
import { freePort, repoRoot } from "./stack";

const dataDir = mkdtempSync(join(tmpdir(), "lodge-dev-"));
const port = freePort();
const redisPort = freePort();
const { DATABASE_URL: _database, REDIS_URL: _redis, ...inherited } = process.env;
const child = Bun.spawn(["bun", "run", "dev"], {
  cwd: repoRoot,
  env: {
    ...inherited,
    PORT: String(port),
    DEV_REDIS_PORT: String(redisPort),
    LODGE_DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    ADMIN_EMAIL: "admin@example.com",
    ADMIN_PASSWORD: "the quick start admin",
  },
  stdout: "pipe",
  stderr: "pipe",
});
let output = "";
const reading = (async () => {
  const decoder = new TextDecoder();
  for await (const chunk of child.stdout) output += decoder.decode(chunk, { stream: true });
})();

afterAll(async () => {
  // After a failed test the server is still up: Ctrl-C first, so it stops its redis-server child
  // (SIGKILL would reach only `bun run`, leaving the dev server and Redis behind).
  if (child.exitCode === null) {
    child.kill("SIGINT");
    await Promise.race([child.exited, Bun.sleep(15_000)]);
  }
  child.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
});

const base = `http://127.0.0.1:${port}`;
/** How long the whole stack may take to start: on a loaded 2-core machine, the embedded Postgres's migrations and seven services took over a minute. */
const STARTUP_MS = 150_000;
const post = (path: string, body: unknown, token?: string) =>
  fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });

test("/docs renders every service's reference with no network and no CSP violation (Scalar is served from node_modules)", async () => {
  await eventually(() => output.includes("Lodge is running"), STARTUP_MS);
  const browser = await launchChromium();
  try {
    const docs = await openOffline(browser, `${base}/docs`);
    // Operations of auth (the first document) in the rendered reference; the other documents are listed.
    await docs.page.getByText("The signed-in user and session").first().waitFor({ timeout: 30_000 });
    await docs.page.getByText("Create an account and sign in").first().waitFor();
    const text = (await docs.page.textContent("body")) ?? "";
    expect(text).toContain("/auth/refresh");
    expect(docs.outside).toEqual([]);
    expect(docs.violations).toEqual([]);
    const policy = (await fetch(`${base}/docs`)).headers.get("content-security-policy") ?? "";
    expect(policy).toContain("script-src 'self' 'sha256-");
    expect(policy).not.toContain("unsafe-eval");
    await docs.close();
  } finally {
    await browser.close();
  }
}, 210_000); // STARTUP_MS, then the page

test("bun run dev: sessions, a profile with an avatar, account deletion, on one port; Ctrl-C stops it all", async () => {
  await eventually(() => output.includes("Lodge is running"), STARTUP_MS);
  expect(output).toContain(`http://localhost:${port}/docs`);
  expect(output).toContain("embedded PGlite");

  const registered = await post("/auth/register", { email: "dev@example.com", password: "quick start password" });
  expect(registered.status).toBe(201);
  const login = (await (await post("/auth/login", { email: "dev@example.com", password: "quick start password" })).json()) as {
    accessToken: string;
    refreshToken: string;
  };
  const refreshed = await post("/auth/refresh", { refreshToken: login.refreshToken });
  expect(refreshed.status).toBe(200);
  const me = await fetch(`${base}/auth/me`, { headers: { authorization: `Bearer ${login.accessToken}` } });
  expect(me.status).toBe(200);
  expect(((await me.json()) as { user: { email: string }; session: { current: boolean } }).user.email).toBe("dev@example.com");
  const sessions = await fetch(`${base}/auth/sessions`, { headers: { authorization: `Bearer ${login.accessToken}` } });
  const listed = (await sessions.json()) as { sessions: { id: string; current: boolean }[] };
  expect(listed.sessions).toHaveLength(2);
  const other = listed.sessions.find((session) => !session.current);
  const revoked = await fetch(`${base}/auth/sessions/${other?.id}`, { method: "DELETE", headers: { authorization: `Bearer ${login.accessToken}` } });
  expect(revoked.status).toBe(204);

  // The user and file services on the same port: a profile with an avatar at two sizes, then the account deleted.
  const auth = { authorization: `Bearer ${login.accessToken}` };
  const png = await sharp({ create: { width: 300, height: 200, channels: 3, background: "#c33" } })
    .png()
    .toBuffer();
  const form = new FormData();
  form.append("file", new Blob([png], { type: "image/png" }), "avatar.png");
  const uploaded = (await (await fetch(`${base}/files`, { method: "POST", headers: auth, body: form })).json()) as { id: string };
  const patched = await eventually(async () => {
    const response = await fetch(`${base}/users/me`, {
      method: "PATCH",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ displayName: "Dev", avatarFileId: uploaded.id }),
    });
    return response.status === 200 && ((await response.json()) as { avatar: { url: string; smallUrl: string } });
  });
  expect((await fetch(patched.avatar.url)).status).toBe(200);
  expect((await fetch(patched.avatar.smallUrl)).headers.get("content-type")).toBe("image/webp");
  const deletion = await fetch(`${base}/users/me`, {
    method: "DELETE",
    headers: { ...auth, "content-type": "application/json" },
    body: JSON.stringify({ password: "quick start password" }),
  });
  expect(deletion.status).toBe(202);
  await eventually(async () => (await fetch(patched.avatar.url)).status === 404);
  await eventually(async () => (await post("/auth/login", { email: "dev@example.com", password: "quick start password" })).status === 401);

  // Web analytics on the embedded database: the admin made at start registers a site, a pageview is stored, rolled up and counted.
  const admin = (await (await post("/auth/login", { email: "admin@example.com", password: "the quick start admin" })).json()) as { accessToken: string };
  const site = (await (await post("/analytics/sites", { domain: "localhost", name: "Local" }, admin.accessToken)).json()) as { id: string; siteKey: string };
  // A browser's user agent: Bun's own is dropped as a bot.
  const pageview = await fetch(`${base}/analytics/events`, {
    method: "POST",
    headers: {
      "content-type": "text/plain",
      "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    },
    body: JSON.stringify({ siteKey: site.siteKey, name: "pageview", url: "http://localhost/pricing" }),
  });
  expect(await pageview.json()).toEqual({ accepted: 1, dropped: [] });
  const day = new Date().toISOString().slice(0, 10);
  const around = (offset: number) => new Date(Date.parse(day) + offset * 86_400_000).toISOString().slice(0, 10);
  await eventually(async () => {
    const stats = await fetch(`${base}/analytics/sites/${site.id}/stats?period=custom&from=${around(-1)}&to=${around(1)}`, {
      headers: { authorization: `Bearer ${admin.accessToken}` },
    });
    return ((await stats.json()) as { results?: { pageviews: { value: number } } }).results?.pageviews.value === 1;
  }, 20_000);

  const docsPage = await fetch(`${base}/docs`);
  expect(docsPage.headers.get("content-type")).toContain("text/html");
  // Every service's document is a source of /docs, the bot's too (served on the gateway, bot off without a token).
  const docsHtml = await docsPage.text();
  for (const prefix of ["/auth", "/users", "/files", "/notifications", "/ai", "/analytics", "/bot"]) expect(docsHtml).toContain(`${prefix}/openapi.json`);
  const botDocument = (await (await fetch(`${base}/bot/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
  expect(botDocument.openapi).toBe("3.1.0");
  expect(Object.keys(botDocument.paths)).toEqual(expect.arrayContaining(["/bot/link", "/bot/invites", "/bot/invites/{id}/uses"]));
  expect(((await (await fetch(`${base}/auth/openapi.json`)).json()) as { openapi: string }).openapi).toBe("3.1.0");
  expect((await fetch(`${base}/.well-known/jwks.json`)).status).toBe(200);
  expect((await fetch(`${base}/nowhere`)).status).toBe(404);

  child.kill("SIGINT");
  expect(await child.exited).toBe(0);
  await reading;
  // The Redis child went with it: its port is free again.
  const probe = await Bun.connect({ hostname: "127.0.0.1", port: redisPort, socket: { data() {} } }).then(
    (socket) => {
      socket.end();
      return "open";
    },
    () => "closed",
  );
  expect(probe).toBe("closed");
}, 270_000); // STARTUP_MS, then the walk-through
