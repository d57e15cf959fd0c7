import type { Socket } from "bun";

/**
 * A `fetch` for an API a service calls all the time (the AI gateway's providers): HTTP/1.1 over
 * keep-alive sockets of its own (`Bun.connect`, TLS for https), read and written on the event loop.
 * Bun's `fetch` hands every request to its HTTP client thread and the answer back, two thread
 * hand-offs a request; here a lone request costs less CPU and less latency.
 *
 * What it does: one request at a time a connection, reused after a complete answer (unless either
 * side said `connection: close`), idle connections closed after `idleMs` or a second before the
 * server's own `keep-alive: timeout=N` says it will (whichever comes first); bodies framed by
 * content-length, chunked, or the connection's end; the answer's body streamed with backpressure
 * (the socket paused while the reader is behind); the request's signal aborts it at any point
 * (the connection is then closed); a request on a reused connection that the server closed without
 * answering is sent once more on a new one when the server cannot have acted on it (nothing was
 * written) or a second copy is harmless (an idempotent method, an idempotency key); otherwise it
 * fails, and the caller's own retries decide. Anything else goes to Bun's
 * `fetch`, unchanged: a `Request` object, a body other than text or bytes, a URL that is not
 * http(s), and every request when a proxy is configured (HTTP_PROXY, HTTPS_PROXY). Redirects are
 * answered as they are, not followed (an API's base URL is its final one); bodies are asked for
 * without compression (`accept-encoding: identity`).
 */
export type HttpClientOptions = {
  /**
   * How long an unused connection is kept. A server that closes it sooner without saying so is
   * no harm: the closed connection leaves the pool, and a request that met it as it closed is sent again.
   */
  idleMs?: number;
  /** Unused connections kept per origin; more are closed. */
  maxIdlePerOrigin?: number;
  /** Certificates to trust besides the system's (PEM), e.g. a private CA in front of a local model. */
  ca?: string;
};

type Fetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** One exchange on a connection: what it does with the bytes that come. */
type Exchange = {
  /** Bytes of the answer received (0: the server may have closed the reused connection before reading the request). */
  received: number;
  data(bytes: Uint8Array): void;
  drain(): void;
  closed(error: Error | undefined): void;
};

type Connection = {
  socket: Socket<Connection> | null;
  origin: string;
  reused: boolean;
  exchange: Exchange | null;
  idleTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set once the socket closed. */
  closed: boolean;
  /** Why the server's certificate was refused, for the error the request fails with. */
  refused: Error | null;
  /** The pool's list of unused connections it is in, while unused. */
  idleIn: Connection[] | null;
  opened: (() => void) | null;
  failed: ((error: Error) => void) | null;
};

const handlers = {
  binaryType: "uint8array",
  open(socket: Socket<Connection>) {
    socket.setNoDelay(true);
    socket.data.socket = socket;
    socket.data.opened?.();
  },
  data(socket: Socket<Connection>, bytes: Uint8Array) {
    const exchange = socket.data.exchange;
    if (exchange) {
      exchange.received += bytes.length;
      exchange.data(bytes);
    } else socket.terminate(); // bytes nobody asked for: the connection cannot be trusted any more
  },
  drain(socket: Socket<Connection>) {
    socket.data.exchange?.drain();
  },
  handshake(socket: Socket<Connection>, success: boolean, authorizationError: Error | null) {
    if (success) return;
    socket.data.refused = authorizationError ?? new Error("The server's certificate was refused");
    socket.terminate();
  },
  close(socket: Socket<Connection>, closeError?: Error) {
    const connection = socket.data;
    const error = closeError ?? connection.refused ?? undefined;
    connection.closed = true;
    clearTimeout(connection.idleTimer);
    const idle = connection.idleIn;
    if (idle) idle.splice(idle.indexOf(connection), 1);
    connection.failed?.(error ?? new Error("The connection closed"));
    connection.exchange?.closed(error);
  },
  connectError(socket: Socket<Connection>, error: Error) {
    socket.data.failed?.(error);
  },
  error(socket: Socket<Connection>, error: Error) {
    socket.data.exchange?.closed(error);
    socket.terminate();
  },
} as const;

const proxied = () => Boolean(process.env.HTTPS_PROXY || process.env.https_proxy || process.env.HTTP_PROXY || process.env.http_proxy);

export function createHttpClient(options: HttpClientOptions = {}): Fetch {
  const idleMs = options.idleMs ?? 30_000;
  const maxIdle = options.maxIdlePerOrigin ?? 256;
  const idle = new Map<string, Connection[]>();
  if (proxied()) return (input, init) => fetch(input, init);

  /** Back to the pool for at most `keepMs` (the server's word), else closed. */
  const release = (connection: Connection, keepMs: number) => {
    connection.exchange = null;
    const socket = connection.socket;
    if (!socket || connection.closed) return;
    // The body's last bytes may have come with earlier ones that paused it: read again (the next answer, or the server closing it).
    socket.resume();
    if (keepMs <= 0) return socket.end();
    const list = idle.get(connection.origin) ?? [];
    if (list.length === 0) idle.set(connection.origin, list);
    if (list.length >= maxIdle) return socket.end();
    list.push(connection);
    connection.idleIn = list;
    connection.reused = true;
    socket.unref();
    connection.idleTimer = setTimeout(() => socket.end(), Math.min(idleMs, keepMs));
    connection.idleTimer.unref?.();
  };

  /** The most recently used live connection to `url`'s origin, else a new one (given up, and closed when it opens, if `signal` aborts first). */
  const take = async (url: URL, signal: AbortSignal | undefined): Promise<Connection> => {
    const list = idle.get(url.origin);
    while (list?.length) {
      const connection = list.pop() as Connection;
      connection.idleIn = null;
      clearTimeout(connection.idleTimer);
      if (connection.closed || !connection.socket) continue;
      connection.socket.ref();
      return connection;
    }
    const connection: Connection = {
      socket: null,
      origin: url.origin,
      reused: false,
      exchange: null,
      idleTimer: undefined,
      closed: false,
      refused: null,
      idleIn: null,
      opened: null,
      failed: null,
    };
    const https = url.protocol === "https:";
    const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
    const onAbort = () => connection.failed?.(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        connection.opened = resolve;
        connection.failed = reject;
        Bun.connect<Connection>({
          hostname: host,
          port: Number(url.port) || (https ? 443 : 80),
          tls: https ? { serverName: host, ...(options.ca ? { ca: options.ca } : {}) } : undefined,
          data: connection,
          socket: handlers as never,
        }).catch(reject);
      });
    } catch (error) {
      // Given up before it opened: closed as soon as it does.
      connection.opened = () => connection.socket?.terminate();
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    connection.opened = null;
    connection.failed = null;
    return connection;
  };

  const send = async (url: URL, init: RequestInit, head: string, body: Uint8Array | string | null, replayable: boolean, attempt: number): Promise<Response> => {
    const signal = init.signal ?? undefined;
    const connection = await take(url, signal);
    const socket = connection.socket as Socket<Connection>;
    try {
      return await exchange(connection, socket, head, body, init.method === "HEAD", signal, release);
    } catch (error) {
      // Sent again only when the server cannot have acted on it: nothing was written, or sending it twice is harmless (as Go's net/http does).
      if (error instanceof ServerClosedIdle && attempt === 0 && (!error.written || replayable)) return send(url, init, head, body, replayable, 1);
      throw error instanceof ServerClosedIdle ? new TypeError("The connection closed before an answer came", { cause: error }) : error;
    }
  };

  return (input, init = {}) => {
    if (typeof input !== "string" && !(input instanceof URL)) return fetch(input, init);
    const url = typeof input === "string" ? new URL(input) : input;
    const body = bodyOf(init.body);
    if ((url.protocol !== "http:" && url.protocol !== "https:") || body === undefined) return fetch(input, init);
    if (init.signal?.aborted) return Promise.reject(init.signal.reason);
    const method = (init.method ?? "GET").toUpperCase();
    if (!token.test(method)) return Promise.reject(new TypeError(`Invalid method: ${JSON.stringify(method)}`));
    const head = requestHead(method, url, init.headers, body);
    const replayable = idempotentMethods.has(method) || /\r\n(x-)?idempotency-key:/.test(head);
    return send(url, { ...init, method }, head, body, replayable, 0);
  };
}

/** A request body this client writes itself (text or bytes; null for none), else undefined. */
function bodyOf(body: RequestInit["body"]): Uint8Array | string | null | undefined {
  if (body === undefined || body === null) return null;
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return undefined;
}

/** Headers this client writes itself, whatever the caller gave. */
const ownHeaders = new Set(["host", "content-length", "connection", "transfer-encoding", "keep-alive", "accept-encoding"]);

function requestHead(method: string, url: URL, given: RequestInit["headers"], body: Uint8Array | string | null): string {
  let head = `${method} ${url.pathname}${url.search} HTTP/1.1\r\nhost: ${url.host}\r\naccept-encoding: identity\r\n`;
  // Headers validates the caller's names and values (no CR or LF gets into the request).
  const headers = given instanceof Headers ? given : new Headers(given);
  headers.forEach((value, name) => {
    if (!ownHeaders.has(name)) head += `${name}: ${value}\r\n`;
  });
  const length = body === null ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
  if (body !== null || (method !== "GET" && method !== "HEAD")) head += `content-length: ${length}\r\n`;
  return `${head}\r\n`;
}

/** How much of an answer's body is read ahead of its reader before the socket is paused. */
const bodyBuffer = { highWaterMark: 64 * 1024, size: (chunk?: Uint8Array) => chunk?.byteLength ?? 0 };

/** A method is an HTTP token (nothing else gets into the request line). */
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Methods a server must treat as safe to receive twice (RFC 9110 9.2.2), POST and PATCH not among them. */
const idempotentMethods = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** A reused connection that ended before any byte of the answer: the server had closed it as idle, or dropped the request. */
class ServerClosedIdle extends Error {
  /** Whether any of the request had been written (then the server may have read and acted on it). */
  constructor(readonly written: boolean) {
    super("The server closed the connection before answering");
  }
}

/** The answer's head: status, headers and how its body is framed. */
type Head = {
  status: number;
  statusText: string;
  headers: Headers;
  keepAlive: boolean;
  /** How long the server keeps the connection open unused (`keep-alive: timeout=N`, less a second), else Infinity. */
  keepMs: number;
  framing: "none" | "length" | "chunked" | "close";
  length: number;
};

const headEnd = Buffer.from("\r\n\r\n");

/**
 * Writes the request on `connection` and resolves with the answer once its head came; its body
 * streams after. The connection goes back to the pool (`release`) once the body was read whole
 * and both sides allow it; on any failure or abort it is closed.
 */
function exchange(
  connection: Connection,
  socket: Socket<Connection>,
  head: string,
  body: Uint8Array | string | null,
  isHead: boolean,
  signal: AbortSignal | undefined,
  release: (connection: Connection, keepMs: number) => void,
): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    let pending: Uint8Array | null = null;
    /** Whether any byte of the request reached the socket. */
    let written = false;
    let buffered: Buffer = Buffer.alloc(0);
    let answer: Head | null = null;
    let stream: ReadableStreamDefaultController<Uint8Array> | null = null;
    let decoder: ChunkedDecoder | null = null;
    let remaining = 0;
    let done = false;

    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      signal?.removeEventListener("abort", onAbort);
      if (error !== undefined) {
        socket.terminate();
        if (stream) stream.error(error);
        else reject(error);
        return;
      }
      // An answer that came before the whole request was written (an early 401 or 413): the rest would be read as the next request.
      if (answer?.keepAlive && pending === null) release(connection, answer.keepMs);
      else socket.end();
    };
    const onAbort = () => finish(signal?.reason);
    if (signal?.aborted) return finish(signal.reason);
    signal?.addEventListener("abort", onAbort, { once: true });

    /** The body's bytes to its stream; the socket paused while the reader is behind. */
    const deliver = (bytes: Uint8Array, last: boolean) => {
      const body = stream as ReadableStreamDefaultController<Uint8Array>;
      if (bytes.length > 0) body.enqueue(bytes);
      if (last) {
        body.close();
        finish();
      } else if ((body.desiredSize ?? 1) <= 0) socket.pause();
    };

    const onBody = (bytes: Uint8Array) => {
      const frame = answer as Head;
      if (frame.framing === "close") return deliver(bytes, false);
      if (frame.framing === "length") {
        // Bytes beyond the answer: the connection is not reused.
        if (bytes.length > remaining) frame.keepAlive = false;
        const part = bytes.length > remaining ? bytes.subarray(0, remaining) : bytes;
        remaining -= part.length;
        return deliver(part, remaining === 0);
      }
      const { parts, ended, extra } = (decoder as ChunkedDecoder).push(bytes);
      if (extra) frame.keepAlive = false;
      for (let index = 0; index < parts.length; index++) deliver(parts[index] as Uint8Array, ended && index === parts.length - 1);
      if (ended && parts.length === 0) deliver(new Uint8Array(0), true);
    };

    const onHead = () => {
      const end = buffered.indexOf(headEnd);
      if (end < 0) {
        if (buffered.length > 64 * 1024) finish(new TypeError("The answer's head is too large"));
        return;
      }
      const parsed = parseHead(buffered.toString("latin1", 0, end), isHead);
      const rest = buffered.subarray(end + 4);
      buffered = Buffer.alloc(0);
      if (parsed instanceof Error) return finish(parsed);
      // An informational answer (100 Continue, 103 Early Hints) comes before the real one.
      if (parsed.status < 200) {
        buffered = Buffer.from(rest);
        if (buffered.length > 0) onHead();
        return;
      }
      answer = parsed;
      remaining = parsed.length;
      if (parsed.framing === "chunked") decoder = new ChunkedDecoder();
      const init = { status: parsed.status, statusText: parsed.statusText, headers: parsed.headers };
      // The whole body already here (a small answer): handed over in one piece.
      if (parsed.framing === "none" || (parsed.framing === "length" && rest.length >= parsed.length)) {
        if (rest.length > parsed.length) parsed.keepAlive = false;
        const whole = parsed.framing === "none" ? null : rest.subarray(0, parsed.length);
        resolve(new Response(whole, init));
        return finish();
      }
      resolve(
        new Response(
          new ReadableStream<Uint8Array>(
            {
              start(controller) {
                stream = controller;
              },
              pull() {
                socket.resume();
              },
              cancel() {
                // The reader gave up: the rest of the body is never read, so the connection cannot be reused.
                stream = null;
                finish(new DOMException("The body was cancelled", "AbortError"));
              },
            },
            bodyBuffer,
          ),
          init,
        ),
      );
      if (rest.length > 0) onBody(rest);
    };

    connection.exchange = {
      received: 0,
      data(bytes) {
        if (done) return;
        try {
          if (answer) return onBody(bytes);
          buffered = buffered.length === 0 ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : Buffer.concat([buffered, bytes]);
          onHead();
        } catch (error) {
          finish(error);
        }
      },
      drain() {
        if (pending) write(pending);
      },
      closed(error) {
        if (done) return;
        if (answer?.framing === "close" && !error) {
          stream?.close();
          done = true;
          signal?.removeEventListener("abort", onAbort);
          return;
        }
        if (!answer && connection.reused && this.received === 0) return finish(new ServerClosedIdle(written));
        const reason = error ? `: ${error.message}` : "";
        finish(new TypeError(`The connection closed before the answer was complete${reason}`, { cause: error }));
      },
    };

    const write = (bytes: Uint8Array) => {
      const count = socket.write(bytes);
      if (count < 0) return (connection.exchange as Exchange).closed(undefined);
      if (count > 0) written = true;
      pending = count < bytes.length ? bytes.subarray(count) : null;
    };
    if (typeof body === "string" || body === null) {
      const text = body === null ? head : head + body;
      const count = socket.write(text);
      if (count < 0) return (connection.exchange as Exchange).closed(undefined);
      if (count > 0) written = true;
      if (count < Buffer.byteLength(text)) pending = Buffer.from(text).subarray(count);
    } else write(Buffer.concat([Buffer.from(head, "latin1"), body]));
  });
}

/** The answer's status line and headers; an Error when they are not HTTP/1.x. */
function parseHead(text: string, isHead: boolean): Head | Error {
  const lines = text.split("\r\n");
  const status = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/.exec(lines[0] ?? "");
  if (!status) return new TypeError("The answer is not HTTP/1.x");
  const code = Number(status[2]);
  const fields: [string, string][] = [];
  for (let index = 1; index < lines.length; index++) {
    const line = lines[index] as string;
    const colon = line.indexOf(":");
    if (colon <= 0) return new TypeError("The answer has a malformed header");
    // The name as it came (Headers refuses one with spaces: `Transfer-Encoding : chunked` is not taken for chunked).
    fields.push([line.slice(0, colon), line.slice(colon + 1).trim()]);
  }
  let headers: Headers;
  try {
    headers = new Headers(fields);
  } catch {
    return new TypeError("The answer has a malformed header");
  }
  const connection = headers.get("connection")?.toLowerCase() ?? "";
  const keepAlive = status[1] === "1" ? !connection.includes("close") : connection.includes("keep-alive");
  const timeout = /timeout=(\d+)/i.exec(headers.get("keep-alive") ?? "")?.[1];
  const keepMs = timeout === undefined ? Number.POSITIVE_INFINITY : (Number(timeout) - 1) * 1000;
  const head = { status: code, statusText: status[3] ?? "", headers, keepAlive, keepMs, framing: "none" as Head["framing"], length: 0 };
  if (isHead || code < 200 || code === 204 || code === 304) return head;
  const transfer = headers.get("transfer-encoding")?.toLowerCase();
  if (transfer) {
    // Chunked must be the last coding; anything else is read to the end of the connection.
    // With a content-length too, the answer was framed by something that disagrees with itself: not reused (RFC 9112 6.3).
    if (transfer.split(",").at(-1)?.trim() === "chunked") return { ...head, framing: "chunked", keepAlive: keepAlive && !headers.has("content-length") };
    return { ...head, framing: "close", keepAlive: false };
  }
  const length = headers.get("content-length");
  if (length === null) return { ...head, framing: "close", keepAlive: false };
  // The same length repeated (`5, 5`) is one length; different ones are an answer to distrust.
  const values = [...new Set(length.split(",").map((value) => value.trim()))];
  const bytes = Number(values[0]);
  if (values.length !== 1 || !/^\d+$/.test(values[0] as string) || !Number.isSafeInteger(bytes))
    return new TypeError("The answer has an invalid content-length");
  return bytes === 0 ? head : { ...head, framing: "length", length: bytes };
}

/** Chunked transfer coding (RFC 9112 7.1): the data of each chunk as it comes; extensions and trailers skipped. */
class ChunkedDecoder {
  /** Bytes of a size or trailer line not yet ended. */
  private line = "";
  /** Data bytes left in the current chunk, then its CRLF. */
  private left = 0;
  private state: "size" | "data" | "crlf" | "trailer" = "size";

  /** The data in `bytes`; `ended` once the last chunk and trailers are read, `extra` when bytes follow them. */
  push(bytes: Uint8Array): { parts: Uint8Array[]; ended: boolean; extra: boolean } {
    const parts: Uint8Array[] = [];
    let at = 0;
    while (at < bytes.length) {
      if (this.state === "data") {
        const take = Math.min(this.left, bytes.length - at);
        parts.push(bytes.subarray(at, at + take));
        at += take;
        this.left -= take;
        if (this.left === 0) this.state = "crlf";
        continue;
      }
      const newline = bytes.indexOf(10, at);
      const end = newline < 0 ? bytes.length : newline;
      this.line += Buffer.from(bytes.buffer, bytes.byteOffset + at, end - at).toString("latin1");
      if (this.line.length > 4096) throw new TypeError("The answer's chunk framing is malformed");
      at = end + 1;
      if (newline < 0) break;
      const line = this.line.endsWith("\r") ? this.line.slice(0, -1) : this.line;
      this.line = "";
      if (this.state === "crlf") {
        if (line !== "") throw new TypeError("The answer's chunk framing is malformed");
        this.state = "size";
      } else if (this.state === "size") {
        const size = /^([0-9a-fA-F]{1,12})[ \t]*(;.*)?$/.exec(line);
        if (!size) throw new TypeError("The answer's chunk framing is malformed");
        this.left = Number.parseInt(size[1] as string, 16);
        this.state = this.left === 0 ? "trailer" : "data";
      } else if (line === "") {
        return { parts, ended: true, extra: at < bytes.length };
      }
    }
    return { parts, ended: false, extra: false };
  }
}
