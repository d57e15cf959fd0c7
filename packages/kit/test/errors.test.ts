import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestDatabase } from "@lodge/db/testing";
import { ApiError, causedBy, connectRedis, errorStatus, Redis, toApiError } from "@lodge/kit";
import { testRedisUrl } from "@lodge/kit/testing";
import { HTTPException } from "hono/http-exception";
import postgres from "postgres";

/** Catches what a real driver throws. */
async function thrown(action: () => Promise<unknown>): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error("expected the action to fail");
}

let closedPort: number;
/** A server that accepts connections and never says a word (a hung host). */
let silent: { port: number; stop: (closeActiveConnections?: boolean) => void };
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  closedPort = listener.port;
  listener.stop(true);
  silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  database = await createTestDatabase();
});
afterAll(async () => {
  silent.stop(true);
  await database.drop();
});

describe("toApiError", () => {
  test("an ApiError passes through", () => {
    const error = new ApiError({ code: "CONFLICT", message: "Taken", details: [{ path: "email", message: "taken" }] });
    expect(toApiError(error)).toBe(error);
    expect(error.status).toBe(409);
  });

  test("every code has its status", () => {
    expect(errorStatus).toEqual({
      VALIDATION_FAILED: 422,
      UNAUTHORIZED: 401,
      FORBIDDEN: 403,
      NOT_FOUND: 404,
      CONFLICT: 409,
      PAYLOAD_TOO_LARGE: 413,
      UNSUPPORTED_MEDIA_TYPE: 415,
      RATE_LIMITED: 429,
      INTERNAL: 500,
      UNAVAILABLE: 503,
    });
  });

  test("Hono's HTTP exceptions map to codes", () => {
    expect(toApiError(new HTTPException(400, { message: "Malformed JSON in request body" }))).toMatchObject({ code: "VALIDATION_FAILED", status: 400 });
    expect(toApiError(new HTTPException(401))).toMatchObject({ code: "UNAUTHORIZED", status: 401 });
    expect(toApiError(new HTTPException(413))).toMatchObject({ code: "PAYLOAD_TOO_LARGE", status: 413 });
    expect(toApiError(new HTTPException(415))).toMatchObject({ code: "UNSUPPORTED_MEDIA_TYPE", status: 415 });
    expect(toApiError(new HTTPException(502))).toMatchObject({ code: "INTERNAL", status: 502 });
  });

  test("anything else is INTERNAL and says nothing about itself", () => {
    for (const error of [new Error("secret detail"), "a string", 42, null, undefined, { message: "object" }]) {
      const apiError = toApiError(error);
      expect(apiError).toMatchObject({ code: "INTERNAL", status: 500, message: "Internal error" });
      expect(apiError.details).toBeUndefined();
    }
  });

  test("a query error that is not about the connection is INTERNAL, not UNAVAILABLE", async () => {
    const error = await thrown(() => database.db.execute("select * from no_such_table"));
    expect(toApiError(error).code).toBe("INTERNAL");
  });

  test("Postgres refusing connections is UNAVAILABLE with Retry-After", async () => {
    const client = postgres(`postgres://postgres@127.0.0.1:${closedPort}/x`, { max: 1, onnotice: () => {} });
    const error = await thrown(() => client`select 1`);
    await client.end();
    expect(toApiError(error)).toMatchObject({ code: "UNAVAILABLE", status: 503 });
    expect(toApiError(error).retryAfter).toBeGreaterThan(0);
  });

  test("Postgres not answering in time is UNAVAILABLE", async () => {
    const client = postgres(`postgres://postgres@127.0.0.1:${silent.port}/x`, { max: 1, connect_timeout: 1, onnotice: () => {} });
    const error = await thrown(() => client`select 1`);
    await client.end({ timeout: 0 });
    expect((error as { code?: string }).code).toBe("CONNECT_TIMEOUT");
    expect(toApiError(error)).toMatchObject({ code: "UNAVAILABLE", status: 503 });
  });

  test("a Postgres connection ended under the query is UNAVAILABLE", async () => {
    const client = postgres(database.url, { max: 1, onnotice: () => {} });
    await client`select 1`;
    const [{ pid } = { pid: 0 }] = await client`select pg_backend_pid() as pid`;
    const killer = postgres(database.url, { max: 1, onnotice: () => {} });
    const query = thrown(() => client`select pg_sleep(30)`);
    await killer`select pg_terminate_backend(${pid})`;
    const error = await query;
    await killer.end();
    await client.end({ timeout: 0 });
    expect(toApiError(error)).toMatchObject({ code: "UNAVAILABLE", status: 503 });
  });

  test("Redis errors while it is unreachable are UNAVAILABLE", async () => {
    const neverConnected = new Redis({ host: "127.0.0.1", port: closedPort, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    neverConnected.on("error", () => {});
    expect(toApiError(await thrown(() => neverConnected.get("k")))).toMatchObject({ code: "UNAVAILABLE" });
    neverConnected.disconnect();

    const disconnected = await connectRedis(testRedisUrl);
    disconnected.disconnect();
    expect(toApiError(await thrown(() => disconnected.get("k")))).toMatchObject({ code: "UNAVAILABLE" });

    await expect(connectRedis(`redis://127.0.0.1:${closedPort}`, { waitMs: 300 })).rejects.toThrow(/not reachable/);
  });

  test("a connection failure wrapped as the cause of another error is still UNAVAILABLE", async () => {
    const client = postgres(`postgres://postgres@127.0.0.1:${closedPort}/x`, { max: 1, onnotice: () => {} });
    const refused = await thrown(() => client`select 1`);
    await client.end();
    expect(toApiError(new Error("could not load the user", { cause: refused }))).toMatchObject({ code: "UNAVAILABLE" });
  });

  test("a cause chain that loops does not hang", () => {
    const a = new Error("a") as Error & { cause?: unknown };
    const b = new Error("b", { cause: a });
    a.cause = b;
    expect(toApiError(a).code).toBe("INTERNAL");
  });
});

describe("causedBy", () => {
  test("finds a real Postgres error's code under wrappers, and stops on a loop", async () => {
    const client = postgres(database.url, { max: 1, onnotice: () => {} });
    await client`create table parent (id int primary key)`;
    await client`create table child (parent int references parent)`;
    // 23503: a foreign key refused the row, as the file service meets it when a file is deleted under a rendering.
    const refused = await thrown(() => client`insert into child values (1)`);
    await client.end();
    const wrapped = new Error("could not store", { cause: new Error("query failed", { cause: refused }) });
    expect(causedBy(wrapped, ({ code }) => code === "23503")).toBe(true);
    expect(causedBy(wrapped, ({ code }) => code === "23505")).toBe(false);
    expect(causedBy("not an error", () => true)).toBe(false);
    const a = new Error("a") as Error & { cause?: unknown };
    a.cause = new Error("b", { cause: a });
    expect(causedBy(a, ({ code }) => code === "x")).toBe(false);
  });
});
