import { websocket as honoWebSocket, upgradeWebSocket } from "hono/bun";

/**
 * Bun's server-wide WebSocket settings a service chooses (see Bun.serve's `websocket`): the largest
 * message a client may send (larger closes the socket with 1009), how long a silent peer lives
 * (Bun pings it meanwhile, `sendPings`), how much unsent data a slow consumer may hold before it is closed.
 */
export type WebSocketSettings = Pick<
  Bun.WebSocketHandler<unknown>,
  "maxPayloadLength" | "idleTimeout" | "sendPings" | "backpressureLimit" | "closeOnBackpressureLimit" | "perMessageDeflate"
>;

/** Bun's WebSocket handler for a service, and a way to close every socket it holds. */
export type ServiceWebSocketHandler = Bun.WebSocketHandler<unknown> & {
  /** Closes every open socket with 1001 (going away): on shutdown, Bun's `server.stop()` waits for open sockets, and clients reconnect elsewhere. */
  closeAll: () => void;
};

/**
 * The `websocket` handler Bun.serve needs for routes that upgrade with `upgradeWebSocket` (hono/bun):
 * Hono's dispatcher, which hands each socket's events to the route that upgraded it, with the
 * service's settings, keeping the open sockets so shutdown can close them.
 */
export function webSocketHandler(settings: WebSocketSettings): ServiceWebSocketHandler {
  const hono = honoWebSocket as unknown as Bun.WebSocketHandler<unknown>;
  const open = new Set<Bun.ServerWebSocket<unknown>>();
  return {
    ...hono,
    ...settings,
    open(socket) {
      open.add(socket);
      return hono.open?.(socket);
    },
    close(socket, code, reason) {
      open.delete(socket);
      return hono.close?.(socket, code, reason);
    },
    closeAll() {
      for (const socket of open) socket.close(1001, "server shutting down");
    },
  };
}

export { upgradeWebSocket };
