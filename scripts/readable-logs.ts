/**
 * `bun run dev`'s log format: pino-pretty, one line per log. A request reads
 * `12:00:01.234 INFO auth GET /auth/me 200 3ms`; other lines keep their message and show their
 * remaining fields inline. Production logs stay JSON (the kit's logger); only the dev server uses this.
 */
import pretty, { isColorSupported, type PrettyOptions } from "pino-pretty";

/** Fields a request line already says in its message, or that only repeat what the dev server is. */
const shownInMessage = ["method", "route", "path", "status", "ms"];

export const readableLogOptions = {
  colorize: false,
  singleLine: true,
  translateTime: "HH:MM:ss.l",
  ignore: ["pid", "hostname", "service", "requestId", ...shownInMessage].join(","),
  messageFormat: (log, messageKey) => {
    const message = String(log[messageKey] ?? "");
    const service = typeof log.service === "string" ? `${log.service} ` : "";
    if (message === "request" && typeof log.method === "string") return `${service}${log.method} ${log.path ?? log.route} ${log.status} ${log.ms}ms`;
    // Lines from a request's child logger keep the id, to find them beside their request line.
    const requestId = typeof log.requestId === "string" ? ` (request ${log.requestId})` : "";
    return `${service}${message}${requestId}`;
  },
} satisfies PrettyOptions;

/** The stream the dev server's loggers write to: stdout by default, colours when the terminal has them. */
export function createReadableLogs(options: Pick<PrettyOptions, "colorize" | "destination"> = {}) {
  return pretty({ ...readableLogOptions, colorize: options.colorize ?? isColorSupported, destination: options.destination });
}
