import { afterAll, describe, expect, test } from "bun:test";
import type { Socket } from "bun";
import { createHttpClient } from "../src/http-client";
import { selfSignedCertificate } from "../src/testing";

/** A request as the raw server read it, and the connection it came on (numbered from 1). */
type Received = { head: string; body: string; connection: number };
type Peer = { id: number; socket: Socket<Peer>; buffered: string; closed: PromiseWithResolvers<void> };

/**
 * An HTTP/1.1 server written by hand (`Bun.listen`), so that each test says byte for byte what
 * the client gets: how answers are framed and split, when connections close.
 */
function rawServer(answer: (request: Received, socket: Socket<Peer>) => void) {
  const requests: Received[] = [];
  const peers: Peer[] = [];
  const listener = Bun.listen<Peer>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        const peer: Peer = { id: peers.length + 1, socket, buffered: "", closed: Promise.withResolvers<void>() };
        peers.push(peer);
        socket.data = peer;
      },
      data(socket, bytes) {
        const peer = socket.data;
        peer.buffered += Buffer.from(bytes).toString("latin1");
        for (;;) {
          const end = peer.buffered.indexOf("\r\n\r\n");
          if (end < 0) return;
          const head = peer.buffered.slice(0, end);
          const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
          if (peer.buffered.length < end + 4 + length) return;
          const body = Buffer.from(peer.buffered.slice(end + 4, end + 4 + length), "latin1").toString();
          const request = { head, body, connection: peer.id };
          peer.buffered = peer.buffered.slice(end + 4 + length);
          requests.push(request);
          answer(request, socket);
        }
      },
      close(socket) {
        socket.data.closed.resolve();
      },
    },
  });
  return { url: `http://127.0.0.1:${listener.port}`, requests, peers, stop: () => listener.stop(true) };
}

const json = (text: string, extra = "") =>
  `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\n${extra}\r\n${text}`;

/** A body's chunks as a reader gets them, each as text. */
async function chunksOf(response: Response): Promise<string[]> {
  const chunks: string[] = [];
  for await (const bytes of response.body as ReadableStream<Uint8Array>) chunks.push(Buffer.from(bytes).toString());
  return chunks;
}

const stops: (() => unknown)[] = [];
afterAll(() => {
  for (const stop of stops) stop();
});

describe("createHttpClient", () => {
  test("a request goes out with its headers, body and length; answers framed by length come whole, and the connection is reused", async () => {
    const server = rawServer((request, socket) => socket.write(json(`{"echo":${JSON.stringify(request.body)}}`, "x-answer: 1\r\n")));
    stops.push(server.stop);
    const client = createHttpClient();
    const first = await client(`${server.url}/v1/chat?x=1`, {
      method: "POST",
      headers: { authorization: "Bearer secret", "content-type": "application/json" },
      body: '{"hello":"wörld"}',
    });
    expect(first.status).toBe(200);
    expect(first.headers.get("x-answer")).toBe("1");
    expect(await first.json()).toEqual({ echo: '{"hello":"wörld"}' });
    const second = await client(`${server.url}/v1/models`, { headers: new Headers({ accept: "application/json" }) });
    expect(await second.text()).toBe('{"echo":""}');

    const [post, get] = server.requests;
    expect(post?.head.split("\r\n")).toEqual([
      "POST /v1/chat?x=1 HTTP/1.1",
      `host: ${new URL(server.url).host}`,
      "accept-encoding: identity",
      "authorization: Bearer secret",
      "content-type: application/json",
      `content-length: ${Buffer.byteLength('{"hello":"wörld"}')}`,
    ]);
    expect(get?.head.startsWith("GET /v1/models HTTP/1.1\r\n")).toBe(true);
    expect(get?.head).not.toContain("content-length");
    expect(server.requests.map((request) => request.connection)).toEqual([1, 1]);
  });

  test("a chunked answer streams chunk by chunk, however its bytes are split, with extensions and trailers skipped", async () => {
    const next = [Promise.withResolvers<void>(), Promise.withResolvers<void>()];
    const server = rawServer(async (_request, socket) => {
      socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n");
      socket.write("7\r\ndata: 1\r\n");
      await next[0]?.promise;
      // The next chunk one byte a write, with an extension on its size line.
      for (const byte of "8;name=value\r\n\ndata: 2\r\n") socket.write(byte);
      await next[1]?.promise;
      socket.write("0\r\nx-trailer: yes\r\n\r\n");
    });
    stops.push(server.stop);
    const client = createHttpClient();
    const response = await client(`${server.url}/stream`, { method: "POST", body: "{}" });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    // Each chunk is readable before the server sends the next.
    expect(Buffer.from((await reader.read()).value as Uint8Array).toString()).toBe("data: 1");
    next[0]?.resolve();
    let second = "";
    while (second.length < 8) second += Buffer.from((await reader.read()).value as Uint8Array).toString();
    expect(second).toBe("\ndata: 2");
    next[1]?.resolve();
    expect((await reader.read()).done).toBe(true);
    // The connection is reused after the last chunk.
    await (await client(`${server.url}/stream`, { method: "POST", body: "{}" })).text();
    expect(server.requests.map((request) => request.connection)).toEqual([1, 1]);
  });

  test("an answer without a length is read to the connection's end; `connection: close`, HTTP/1.0 and too short a keep-alive are not reused", async () => {
    let answered = 0;
    const server = rawServer((_request, socket) => {
      answered++;
      if (answered === 1) {
        socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nto the end");
        socket.end();
      } else if (answered === 2) socket.write(json('"closing"', "connection: close\r\n"));
      else if (answered === 3) socket.write('HTTP/1.0 200 OK\r\ncontent-length: 7\r\n\r\n"old 1"');
      // The server keeps an unused connection one second: too short to use again.
      else if (answered === 4) socket.write(json('"brief"', "keep-alive: timeout=1\r\n"));
      else socket.write(json('"fresh"'));
    });
    stops.push(server.stop);
    const client = createHttpClient();
    expect(await (await client(`${server.url}/a`)).text()).toBe("to the end");
    expect(await (await client(`${server.url}/b`)).json()).toBe("closing");
    expect(await (await client(`${server.url}/c`)).json()).toBe("old 1");
    expect(await (await client(`${server.url}/d`)).json()).toBe("brief");
    expect(await (await client(`${server.url}/e`)).json()).toBe("fresh");
    expect(server.requests.map((request) => request.connection)).toEqual([1, 2, 3, 4, 5]);
  });

  test("a request the server dropped unanswered on a reused connection is sent again on a new one only when that is harmless (GET, an idempotency key); on a new connection it fails", async () => {
    const server = rawServer((request, socket) => {
      // Every reused connection's second request meets a server that closes it (nothing answered).
      if (server.requests.filter((seen) => seen.connection === request.connection).length === 2) return socket.end();
      if (request.head.startsWith("GET /refused")) return socket.end();
      socket.write(json(`"${request.connection}"`));
    });
    stops.push(server.stop);
    const client = createHttpClient();
    const path = (request: Received) => [request.head.split(" ").slice(0, 2).join(" "), request.connection];
    expect(await (await client(`${server.url}/a`)).json()).toBe("1");
    expect(await (await client(`${server.url}/b`)).json()).toBe("2");
    expect(await (await client(`${server.url}/c`, { method: "POST", body: "{}", headers: { "idempotency-key": "k1" } })).json()).toBe("3");
    // A POST the server read and then dropped may have been acted on: an error, never a second copy.
    await expect(client(`${server.url}/d`, { method: "POST", body: "{}" })).rejects.toThrow(TypeError);
    expect(server.requests.map(path)).toEqual([
      ["GET /a", 1],
      ["GET /b", 1],
      ["GET /b", 2],
      ["POST /c", 2],
      ["POST /c", 3],
      ["POST /d", 3],
    ]);
    // A new connection closed without an answer: an error, not a second try.
    const fresh = createHttpClient();
    await expect(fresh(`${server.url}/refused`)).rejects.toThrow(TypeError);
  });

  test("an answer that comes before the request's body was all written (an early 401) closes the connection: the rest is never read as the next request", async () => {
    // As nginx or Node answer: at once on a request's head, then its body skipped by its length.
    let connections = 0;
    const server = Bun.listen<{ buffered: Buffer; skip: number }>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open(socket) {
          connections++;
          socket.data = { buffered: Buffer.alloc(0), skip: 0 };
        },
        data(socket, bytes) {
          const peer = socket.data;
          peer.buffered = Buffer.concat([peer.buffered, bytes]);
          for (;;) {
            const skipped = Math.min(peer.skip, peer.buffered.length);
            peer.skip -= skipped;
            peer.buffered = peer.buffered.subarray(skipped);
            const end = peer.buffered.indexOf("\r\n\r\n");
            if (peer.skip > 0 || end < 0) return;
            const head = peer.buffered.subarray(0, end).toString("latin1");
            peer.buffered = peer.buffered.subarray(end + 4);
            peer.skip = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
            socket.write(head.startsWith("POST") ? json('"refused"').replace("200 OK", "401 Unauthorized") : json('"next"'));
          }
        },
      },
    });
    stops.push(() => server.stop(true));
    const client = createHttpClient();
    const url = `http://127.0.0.1:${server.port}`;
    const refused = await client(`${url}/upload`, { method: "POST", body: "x".repeat(32 * 1024 * 1024) });
    expect(refused.status).toBe(401);
    expect(await refused.json()).toBe("refused");
    // On the upload's connection this would sit behind the upload's unwritten rest, read as its body, never answered.
    expect(await (await client(`${url}/next`)).json()).toBe("next");
    expect(connections).toBe(2);
  });

  test("a method that is not an HTTP token is refused before anything is sent", async () => {
    const server = rawServer((_request, socket) => socket.write(json('"ok"')));
    stops.push(server.stop);
    await expect(createHttpClient()(`${server.url}/`, { method: "GET /admin HTTP/1.1\r\nx-evil: 1\r\nfoo:" })).rejects.toThrow("Invalid method");
    expect(server.requests).toHaveLength(0);
  });

  test("the signal aborts a request waiting for its answer, and a body being read; either way the connection is closed", async () => {
    const held = Promise.withResolvers<void>();
    const server = rawServer((request, socket) => {
      if (request.head.startsWith("GET /held")) held.resolve();
      if (request.head.startsWith("GET /body")) socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n");
    });
    stops.push(server.stop);
    const client = createHttpClient();

    const waiting = new AbortController();
    const answer = client(`${server.url}/held`, { signal: waiting.signal });
    await held.promise;
    waiting.abort(new Error("caller gone"));
    await expect(answer).rejects.toThrow("caller gone");
    await server.peers[0]?.closed.promise;

    const reading = new AbortController();
    const response = await client(`${server.url}/body`, { signal: reading.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(Buffer.from((await reader.read()).value as Uint8Array).toString()).toBe("first");
    reading.abort(new Error("caller gone"));
    await expect(reader.read()).rejects.toThrow("caller gone");
    await server.peers[1]?.closed.promise;

    // Already aborted: nothing is sent.
    await expect(client(`${server.url}/never`, { signal: AbortSignal.abort(new Error("before")) })).rejects.toThrow("before");
    expect(server.requests.map((request) => request.head.split(" ")[1])).toEqual(["/held", "/body"]);
  });

  test("a cancelled body closes its connection; the next request opens another", async () => {
    const server = rawServer((request, socket) => {
      if (request.connection === 1) socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n");
      else socket.write(json('"next"'));
    });
    stops.push(server.stop);
    const client = createHttpClient();
    const response = await client(`${server.url}/stream`);
    await (response.body as ReadableStream<Uint8Array>).cancel();
    await server.peers[0]?.closed.promise;
    expect(await (await client(`${server.url}/next`)).json()).toBe("next");
    expect(server.requests.map((request) => request.connection)).toEqual([1, 2]);
  });

  test("a body larger than the socket buffers reaches a slow reader whole (the socket paused and resumed)", async () => {
    const total = 16 * 1024 * 1024;
    const answer = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\ncontent-length: ${total}\r\n\r\n`), Buffer.alloc(total, "a")]);
    const server = rawServer((_request, socket) => {
      let offset = 0;
      const pump = () => {
        offset += Math.max(0, socket.write(answer.subarray(offset)));
        if (offset < answer.length) setTimeout(pump, 1);
      };
      pump();
    });
    stops.push(server.stop);
    const response = await createHttpClient()(`${server.url}/big`);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let received = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      received += value.length;
      // A slow reader: the socket's bytes pile up meanwhile.
      if (received % (1024 * 1024) < value.length) await Bun.sleep(1);
    }
    expect(received).toBe(total);
  });

  test("a chunked body whose last chunk came with many others (the socket paused on the way) leaves its connection reading: the next request is answered on it", async () => {
    const part = "b".repeat(1024);
    const chunked = `${`${(1024).toString(16)}\r\n${part}\r\n`.repeat(200)}0\r\n\r\n`;
    const server = rawServer((request, socket) => {
      if (request.head.startsWith("GET /many")) socket.write(`HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${chunked}`);
      else socket.write(json('{"next":true}'));
    });
    stops.push(server.stop);
    const client = createHttpClient();
    const first = await client(`${server.url}/many`);
    expect((await first.text()).length).toBe(200 * 1024);
    const second = await client(`${server.url}/next`);
    expect(await second.json()).toEqual({ next: true });
    expect(server.requests.map((request) => request.connection)).toEqual([1, 1]);
  });

  test("an informational answer before the real one is skipped; a HEAD or 204 answer has no body and keeps the connection", async () => {
    const server = rawServer((request, socket) => {
      if (request.head.startsWith("HEAD")) return socket.write("HTTP/1.1 200 OK\r\ncontent-length: 42\r\n\r\n");
      if (request.head.startsWith("DELETE")) return socket.write("HTTP/1.1 204 No Content\r\n\r\n");
      socket.write(`HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n${json('"real"')}`);
    });
    stops.push(server.stop);
    const client = createHttpClient();
    expect(await (await client(`${server.url}/hints`)).json()).toBe("real");
    const head = await client(`${server.url}/head`, { method: "HEAD" });
    expect([head.status, await head.text()]).toEqual([200, ""]);
    const deleted = await client(`${server.url}/gone`, { method: "DELETE" });
    expect([deleted.status, await deleted.text()]).toEqual([204, ""]);
    expect(server.requests.map((request) => request.connection)).toEqual([1, 1, 1]);
    expect(server.requests[2]?.head).toContain("content-length: 0");
  });

  test("what is not HTTP, an invalid length or broken chunk framing fails the request or its body; a cut body errors", async () => {
    const server = rawServer((request, socket) => {
      const path = request.head.split(" ")[1];
      if (path === "/garbage") socket.write("<html>hello</html>\r\n\r\n");
      if (path === "/lengths") socket.write("HTTP/1.1 200 OK\r\ncontent-length: 3, 4\r\n\r\nabcd");
      if (path === "/framing") socket.write("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nabc\r\n");
      if (path === "/cut") {
        socket.write("HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
        socket.end();
      }
    });
    stops.push(server.stop);
    const client = createHttpClient();
    await expect(client(`${server.url}/garbage`)).rejects.toThrow("not HTTP");
    await expect(client(`${server.url}/lengths`)).rejects.toThrow("content-length");
    await expect((await client(`${server.url}/framing`)).text()).rejects.toThrow("chunk framing");
    await expect((await client(`${server.url}/cut`)).text()).rejects.toThrow("closed before the answer was complete");
  });

  test("bodies it does not write itself (form data) go through Bun's fetch", async () => {
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: async (request) => Response.json({ field: (await request.formData()).get("field") }) });
    stops.push(() => server.stop(true));
    const form = new FormData();
    form.set("field", "value");
    const response = await createHttpClient()(`http://127.0.0.1:${server.port}/form`, { method: "POST", body: form });
    expect(await response.json()).toEqual({ field: "value" });
  });

  test("https: JSON and a streamed answer over TLS on one connection; a certificate nobody vouches for is refused, and the error says why", async () => {
    const certificate = selfSignedCertificate();
    const connections = new Set<unknown>();
    const server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      tls: certificate,
      fetch(request, bun) {
        connections.add(bun.requestIP(request)?.port);
        if (new URL(request.url).pathname === "/json") return Response.json({ secure: true });
        return new Response(
          new ReadableStream({
            start(controller) {
              controller.enqueue(new TextEncoder().encode("data: 1\n\n"));
              controller.enqueue(new TextEncoder().encode("data: [DONE]\n\n"));
              controller.close();
            },
          }),
          { headers: { "content-type": "text/event-stream" } },
        );
      },
    });
    stops.push(() => server.stop(true));
    const url = `https://127.0.0.1:${server.port}`;
    const client = createHttpClient({ ca: certificate.cert });
    expect(await (await client(`${url}/json`)).json()).toEqual({ secure: true });
    expect((await chunksOf(await client(`${url}/stream`, { method: "POST", body: "{}" }))).join("")).toBe("data: 1\n\ndata: [DONE]\n\n");
    expect(connections.size).toBe(1);
    await expect(createHttpClient()(`${url}/json`)).rejects.toThrow(/self.signed certificate/);
  });
});
