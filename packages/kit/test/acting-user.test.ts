import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { actingUserOf, createApp, createGuard, createLogger, createMetrics, remoteKeys } from "@lodge/kit";
import { call, startTestIssuer, type TestIssuer } from "@lodge/kit/testing";

let issuer: TestIssuer;
let server: ReturnType<typeof Bun.serve>;
let url: string;

beforeAll(async () => {
  issuer = await startTestIssuer();
  const guard = createGuard({ keys: remoteKeys(issuer.jwksUrl), issuer: issuer.issuer, audience: issuer.audience });
  const logger = createLogger({ service: "kit-acting-user-test", level: "silent" });
  const app = createApp({
    service: "kit-acting-user-test",
    logger,
    metrics: createMetrics("kit-acting-user-test"),
    corsOrigins: [],
    trustedProxies: [],
    bodyLimitBytes: 1024,
  });
  app.get("/acting", guard.requireToken(), (c) => c.json({ userId: actingUserOf(c, "files:write") }));
  server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  url = `http://127.0.0.1:${server.port}`;
});

afterAll(async () => {
  await server.stop(true);
  await issuer.stop();
});

const acting = (token: string, user?: string) => call(url, "GET", "/acting", { token, headers: user === undefined ? {} : { "x-lodge-user": user } });

describe("actingUserOf: who a request acts for", () => {
  test("a user's token acts for its user, with or without naming them", async () => {
    const user = await issuer.user();
    expect((await acting(user.token)).json).toEqual({ userId: user.id });
    expect((await acting(user.token, user.id)).json).toEqual({ userId: user.id });
    expect((await acting(user.token, user.id.toUpperCase())).json).toEqual({ userId: user.id });
  });

  test("a user's token naming another user is 403, an admin's too", async () => {
    const user = await issuer.user();
    const other = Bun.randomUUIDv7();
    const refused = await acting(user.token, other);
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe("FORBIDDEN");
    expect((await acting((await issuer.admin()).token, other)).status).toBe(403);
  });

  test("a client with the scope acts for the user it names", async () => {
    const token = await issuer.client("users-service", ["files:read", "files:write"]);
    const userId = Bun.randomUUIDv7();
    const reply = await acting(token, userId);
    expect(reply.status).toBe(200);
    expect(reply.json).toEqual({ userId });
  });

  test("a client without the scope, or naming no user, is 403", async () => {
    const userId = Bun.randomUUIDv7();
    const reader = await acting(await issuer.client("reader", ["files:read"]), userId);
    expect(reader.status).toBe(403);
    expect(reader.json.error.message).toContain("files:write");
    const unnamed = await acting(await issuer.client("users-service", ["files:write"]));
    expect(unnamed.status).toBe(403);
    expect(unnamed.json.error.message).toContain("X-Lodge-User");
  });

  test("an X-Lodge-User that is not a user id is 422 in the error shape", async () => {
    for (const bad of ["", "me", "1; drop table users", `${Bun.randomUUIDv7()}x`]) {
      const reply = await acting(await issuer.client("users-service", ["files:write"]), bad);
      expect(reply.status).toBe(422);
      expect(reply.json.error.code).toBe("VALIDATION_FAILED");
    }
  });
});
