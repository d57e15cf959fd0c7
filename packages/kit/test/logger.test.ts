import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { users } from "@lodge/db/schema";
import { createTestDatabase } from "@lodge/db/testing";
import { createLogger } from "@lodge/kit";

/** A logger whose lines land in an array instead of stdout. */
function capture() {
  const lines: string[] = [];
  const logger = createLogger({ service: "kit-logger-test", level: "debug", destination: { write: (line: string) => void lines.push(line) } });
  // biome-ignore lint/suspicious/noExplicitAny: log lines are inspected field by field
  return { logger, lines, last: (): any => JSON.parse(lines.at(-1) ?? "{}") };
}

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.drop());

describe("createLogger", () => {
  test("JSON lines with the service and level", () => {
    const { logger, last } = capture();
    logger.info({ route: "/items/:id" }, "request");
    expect(last()).toMatchObject({ service: "kit-logger-test", level: 30, route: "/items/:id", msg: "request" });
    logger.child({ requestId: "r-1" }).warn("careful");
    expect(last()).toMatchObject({ service: "kit-logger-test", requestId: "r-1", level: 40, msg: "careful" });
  });

  test("the level filters", () => {
    const lines: string[] = [];
    const logger = createLogger({ service: "s", level: "warn", destination: { write: (line: string) => void lines.push(line) } });
    logger.info("dropped");
    logger.error("kept");
    expect(lines).toHaveLength(1);
    expect(createLogger({ service: "s", level: "silent", destination: { write: (line: string) => void lines.push(line) } }).error("x")).toBeUndefined();
    expect(lines).toHaveLength(1);
  });

  test("password and token fields are redacted at the top level and one level down", () => {
    const { logger, lines, last } = capture();
    const secret = "hunter2-very-secret";
    const fields = ["password", "newPassword", "currentPassword", "token", "refreshToken", "accessToken", "clientSecret", "authorization", "cookie"];
    const values = Object.fromEntries(fields.map((field) => [field, secret]));
    logger.info(
      { ...values, body: { ...values, email: "ada@example.com" }, headers: { authorization: `Bearer ${secret}`, cookie: `lodge_refresh=${secret}` } },
      "x",
    );
    const line = last();
    for (const field of fields) {
      expect(line[field]).toBe("[redacted]");
      expect(line.body[field]).toBe("[redacted]");
    }
    expect(line.headers).toEqual({ authorization: "[redacted]", cookie: "[redacted]" });
    // What is not a secret is logged as is.
    expect(line.body.email).toBe("ada@example.com");
    expect(lines.join("")).not.toContain("hunter2");
  });

  test("a child's bindings and an error's fields are redacted too, and the logged object is left as it was", () => {
    const { logger, lines, last } = capture();
    const secret = "hunter2-very-secret";
    logger.child({ token: secret, session: { refreshToken: secret, id: "s-1" } }).info("bound");
    expect(last()).toMatchObject({ token: "[redacted]", session: { refreshToken: "[redacted]", id: "s-1" } });
    const failure = Object.assign(new Error("refused"), { accessToken: secret, code: "E_REFUSED" });
    logger.error({ err: failure, upstream: failure }, "call failed");
    expect(last().err).toMatchObject({ message: "refused", accessToken: "[redacted]", code: "E_REFUSED" });
    expect(last().upstream).toEqual({ accessToken: "[redacted]", code: "E_REFUSED" });
    const fields = { password: secret, body: { token: secret, email: "ada@example.com" } };
    logger.info(fields, "x");
    expect(fields).toEqual({ password: secret, body: { token: secret, email: "ada@example.com" } });
    expect(failure.accessToken).toBe(secret);
    expect(lines.join("")).not.toContain("hunter2");
  });

  test("the err serializer redacts the parameters of a failed Drizzle query", async () => {
    const { logger, lines, last } = capture();
    const secretHash = "$argon2id$v=19$secret-hash-material";
    const failed = await database.db
      .insert(users)
      .values({ email: "ada@example.com", passwordHash: secretHash, role: "not-a-role" as never })
      .then(() => undefined)
      .catch((error: unknown) => error as Error);
    expect(failed).toBeInstanceOf(Error);
    expect(String(failed?.message)).toContain(secretHash);

    logger.error({ err: failed }, "request failed");
    const line = last();
    expect(lines.join("")).not.toContain("secret-hash-material");
    expect(line.err.message).toContain("Failed query: insert into");
    expect(line.err.message).toContain("params: [redacted]");
    expect(line.err.stack).toContain("params: [redacted]");
    expect(line.err.params).toBeUndefined();
    // The SQL itself (placeholders only) stays: it is what makes the log useful.
    expect(line.err.query).toContain('insert into "auth"."users"');
  });

  test("an error wrapping a failed query is redacted too", async () => {
    const { logger, lines } = capture();
    const failed = await database.db
      .insert(users)
      .values({ email: "bob@example.com", passwordHash: "wrapped-secret-hash", role: "nope" as never })
      .catch((error: unknown) => error);
    logger.error({ err: new Error("could not register", { cause: failed }) }, "request failed");
    expect(lines.join("")).not.toContain("wrapped-secret-hash");
  });

  test("other errors keep their message and stack", () => {
    const { logger, last } = capture();
    logger.error({ err: new TypeError("plain failure") }, "boom");
    expect(last().err).toMatchObject({ type: "TypeError", message: "plain failure" });
    expect(last().err.stack).toContain("logger.test.ts");
  });
});
