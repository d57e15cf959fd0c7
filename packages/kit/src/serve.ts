import type { Logger } from "pino";
import type { ServiceWebSocketHandler } from "./websocket";

type Fetch = (request: Request, server: Bun.Server<unknown>) => Response | Promise<Response>;

/**
 * Serves until SIGTERM/SIGINT, then shuts down gracefully: report not-ready, stop accepting
 * connections, let in-flight requests finish, close the service's resources, exit.
 */
export function serve(options: {
  fetch: Fetch;
  port: number;
  hostname?: string;
  logger: Logger;
  drainDelayMs?: number;
  /** Called first on shutdown: make /ready answer 503. */
  onDrain?: () => void;
  close: () => Promise<void>;
  /** Largest request body Bun accepts at all (its default is 128 MiB); upload services raise it and limit per route. */
  maxRequestBodySize?: number;
  /** Bun's WebSocket handler, for services with WebSocket routes (see startService's `websocket`). */
  websocket?: ServiceWebSocketHandler;
}) {
  let draining = false;
  const settings = { port: options.port, hostname: options.hostname, fetch: options.fetch, idleTimeout: 30, maxRequestBodySize: options.maxRequestBodySize };
  const server = options.websocket ? Bun.serve({ ...settings, websocket: options.websocket }) : Bun.serve(settings);
  options.logger.info({ port: server.port }, "listening");

  const shutdown = async (signal: string) => {
    if (draining) return;
    draining = true;
    options.onDrain?.();
    options.logger.info({ signal }, "draining");
    // Keep serving while the proxy's health check sees /ready fail: once we stop accepting, a
    // request the proxy still sends on a kept-alive connection is cut off, and a POST cut off
    // that way is not retried elsewhere.
    if (options.drainDelayMs) await Bun.sleep(options.drainDelayMs);
    // Open WebSockets would hold stop() forever: they are closed (1001) and their clients reconnect elsewhere.
    options.websocket?.closeAll();
    await server.stop(false);
    try {
      await options.close();
    } catch (error) {
      options.logger.error({ err: error }, "error while closing");
    }
    options.logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  return server;
}
