/**
 * A local SMTP server for bench/notification.ts (smtp-server, the one the tests receive with), in a
 * process of its own so that receiving costs neither the service nor its baseline any CPU of the
 * bench's. It reads each message to its end and counts it (no parsing: the same work whoever sends).
 * Driven over IPC:
 *   { cmd: "reset" }   forgets what arrived so far;
 *   { cmd: "report" }  answers { received, lastAt } over what arrived since the reset (lastAt:
 *                      wall milliseconds, `performance.timeOrigin + performance.now()`).
 * Answers { started: true, url } once listening.
 */
import { SMTPServer } from "smtp-server";

type Command = { cmd: "reset" } | { cmd: "report" };

const now = () => performance.timeOrigin + performance.now();
let received = 0;
let lastAt = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ["STARTTLS"],
  logger: false,
  // The service's pool and the baseline's open several connections at once.
  maxClients: 1000,
  onData(stream, _session, callback) {
    stream.on("data", () => {});
    stream.on("end", () => {
      received += 1;
      lastAt = now();
      callback();
    });
  },
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.server.address() as { port: number };

process.on("message", (command: Command) => {
  if (command.cmd === "reset") {
    received = 0;
    lastAt = 0;
    process.send?.({ reset: true });
  } else process.send?.({ received, lastAt });
});
process.send?.({ started: true, url: `smtp://127.0.0.1:${port}` });
