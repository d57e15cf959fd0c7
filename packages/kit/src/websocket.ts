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

/**
 * The `websocket` handler Bun.serve needs for routes that upgrade with `upgradeWebSocket` (hono/bun):
 * Hono's dispatcher, which hands each socket's events to the route that upgraded it, with the service's settings.
 */
export function webSocketHandler(settings: WebSocketSettings): Bun.WebSocketHandler<unknown> {
  return { ...(honoWebSocket as unknown as Bun.WebSocketHandler<unknown>), ...settings };
}

export { upgradeWebSocket };
