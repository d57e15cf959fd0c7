import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import net from "node:net";
import { eventually, openTestSocket } from "@lodge/kit/testing";
import { startTestNotifications, type TestNotifications } from "./harness";

/**
 * Peers that stop reading: a client too slow for what it is sent is dropped (its unsent data is
 * bounded), and a dead peer (no pongs) is closed by the heartbeat, while a live idle client stays.
 * The silent peer is a raw TCP socket that completes the WebSocket handshake and then stops reading.
 * Bun's idle timer ticks in steps of a few seconds, so the heartbeat test takes that long.
 */
let t: TestNotifications;
beforeAll(async () => {
  t = await startTestNotifications({ jobs: false, env: { NOTIFICATION_WS_IDLE_TIMEOUT_SECONDS: "1", NOTIFICATION_WS_MAX_BUFFERED_BYTES: "65536" } });
});
afterAll(() => t.close());

async function ticketFor(user: { token: string }) {
  return (await t.call("POST", "/notifications/realtime/ticket", { token: user.token })).json.ticket as string;
}

/** A peer that opens the socket, then reads nothing more (and so never answers a ping). */
async function silentPeer(ticket: string) {
  const { port } = new URL(t.url);
  const socket = net.connect(Number(port), "127.0.0.1");
  const key = btoa("silent-peer-key!");
  socket.write(
    `GET /notifications/realtime?ticket=${ticket} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  const status = await new Promise<string>((resolve) => socket.once("data", (data) => resolve(String(data).split("\r\n")[0] ?? "")));
  socket.pause();
  return { status, destroy: () => socket.destroy() };
}

const openSockets = async () => Number((await t.deps.metrics.registry.getSingleMetricAsString("notification_websockets_open")).match(/ (\d+)$/m)?.[1]);

describe("peers that stop reading", () => {
  test("a slow consumer is closed once its unsent data passes the limit; the user's other device gets everything", async () => {
    const user = await t.user();
    const fast = await openTestSocket(`${t.url.replace(/^http/, "ws")}/notifications/realtime?ticket=${await ticketFor(user)}`);
    const slow = await silentPeer(await ticketFor(user));
    expect(slow.status).toBe("HTTP/1.1 101 Switching Protocols");
    await eventually(async () => (await openSockets()) === 2);

    // 20 MB for the user: more than the kernel's socket buffers hold, so the slow peer's backs up.
    const blob = "x".repeat(100_000);
    for (let index = 0; index < 200; index++) await t.deps.realtime.publish(user.id, { type: "test.bulk", data: { index, blob } });
    await eventually(async () => (await openSockets()) === 1);
    await eventually(() => fast.messages.length === 200);
    expect(fast.messages.map((message) => message.data.index)).toEqual(Array.from({ length: 200 }, (_, index) => index));
    fast.close();
    slow.destroy();
  });

  test("a dead peer (no pongs) is closed by the heartbeat; a live idle client answers the pings and stays", async () => {
    await eventually(async () => (await openSockets()) === 0);
    const user = await t.user();
    const live = await openTestSocket(`${t.url.replace(/^http/, "ws")}/notifications/realtime?ticket=${await ticketFor(user)}`);
    const dead = await silentPeer(await ticketFor(user));
    await eventually(async () => (await openSockets()) === 2);
    await eventually(async () => (await openSockets()) === 1, 30_000);
    live.send({ type: "resume" });
    expect(await live.next()).toEqual({ type: "unread_count", count: 0 });
    live.close();
    dead.destroy();
  }, 40_000);
});
