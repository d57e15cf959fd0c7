/** `bun run dev`'s log format: a request is one readable line, not pino-pretty's eight. */
import { expect, test } from "bun:test";
import { Writable } from "node:stream";
import { createLogger } from "@lodge/kit";
import { prettyFactory } from "pino-pretty";
import { createReadableLogs, readableLogOptions } from "../../scripts/readable-logs";

const render = prettyFactory(readableLogOptions);

/** The line the kit's request middleware logs (packages/kit/src/app.ts), as JSON. */
const requestLine = {
  level: 30,
  time: Date.UTC(2026, 11, 1, 12, 0, 1, 234),
  pid: 4242,
  hostname: "dev-box",
  service: "auth",
  requestId: "0f6c2b1e-7d5a-4c3e-9b8f-2a1d0c9e8b7a",
  method: "GET",
  route: "/auth/sessions/:id",
  path: "/auth/sessions/0190",
  status: 200,
  ms: 3,
  msg: "request",
};

test("a request log renders as one line: method, path, status, duration", () => {
  const rendered = render(requestLine);
  expect(rendered.trimEnd().split("\n")).toHaveLength(1);
  expect(rendered).toContain("INFO");
  expect(rendered).toContain("auth GET /auth/sessions/0190 200 3ms");
  for (const noise of ["pid", "hostname", "4242", "dev-box", "requestId", '"route"']) expect(rendered).not.toContain(noise);
});

test("other lines stay one line, with their fields inline and the request id of their request", () => {
  const rendered = render({ level: 40, time: requestLine.time, service: "file", requestId: "r-1", msg: "variant cache full", entries: 64 });
  expect(rendered.trimEnd().split("\n")).toHaveLength(1);
  expect(rendered).toContain("file variant cache full (request r-1)");
  expect(rendered).toContain('"entries":64');
});

test("the dev server's stream, fed by the kit's logger, writes one line per request", async () => {
  let written = "";
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written += chunk.toString();
      done();
    },
  });
  const stream = createReadableLogs({ colorize: false, destination });
  const logger = createLogger({ service: "user", destination: stream });
  logger.info({ requestId: "r-2", method: "PATCH", route: "/users/me", path: "/users/me", status: 422, ms: 12 }, "request");
  await new Promise<void>((resolve) => stream.end(resolve));
  expect(written.trimEnd().split("\n")).toEqual([expect.stringContaining("user PATCH /users/me 422 12ms")]);
});
