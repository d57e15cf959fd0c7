import { createDecipheriv, createECDH, createHmac, createPublicKey, randomBytes, verify } from "node:crypto";
import { selfSignedCertificate } from "@lodge/kit/testing";

/**
 * A browser's side of a push subscription: the test makes its ECDH P-256 key pair and auth secret
 * as a browser does, so that only it can read what the push service receives.
 */
export function makeBrowserSubscription(endpoint: string) {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    json: { endpoint, expirationTime: null, keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: auth.toString("base64url") } },
    ecdh,
    auth,
  };
}

export type BrowserSubscription = ReturnType<typeof makeBrowserSubscription>;

/** Decrypts an `aes128gcm` Web Push body (RFC 8188 record, keys from RFC 8291) with the browser's private key and auth secret. */
export function decryptPush(body: Buffer, browser: BrowserSubscription): string {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const keyIdLength = body[20] as number;
  const serverPublicKey = body.subarray(21, 21 + keyIdLength);
  const record = body.subarray(21 + keyIdLength);
  if (record.length > recordSize) throw new Error("more than one record");
  const hmac = (key: Buffer, data: Buffer) => createHmac("sha256", key).update(data).digest();
  const sharedSecret = browser.ecdh.computeSecret(serverPublicKey);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), browser.ecdh.getPublicKey(), serverPublicKey, Buffer.from([1])]);
  const ikm = hmac(hmac(browser.auth, sharedSecret), keyInfo);
  const prk = hmac(salt, ikm);
  const contentKey = hmac(prk, Buffer.from("Content-Encoding: aes128gcm\0\x01")).subarray(0, 16);
  const nonce = hmac(prk, Buffer.from("Content-Encoding: nonce\0\x01")).subarray(0, 12);
  const decipher = createDecipheriv("aes-128-gcm", contentKey, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02, then padding zeros.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end -= 1;
  if (padded[end] !== 2) throw new Error("no last-record delimiter");
  return padded.subarray(0, end).toString("utf8");
}

/** Checks a `vapid t=<JWT>, k=<key>` header (RFC 8292): an ES256 JWT signed by `k`, for this origin, not expired, with a subject. */
export function verifyVapid(header: string | null, audience: string, now: Date): { publicKey: string; subject: string } {
  const match = /^vapid t=([\w-]+\.[\w-]+\.[\w-]+), k=([\w-]+)$/.exec(header ?? "");
  if (!match) throw new Error(`not a VAPID authorization: ${header}`);
  const [, jwt = "", publicKey = ""] = match;
  const [head = "", payload = "", signature = ""] = jwt.split(".");
  const point = Buffer.from(publicKey, "base64url");
  const key = createPublicKey({
    key: { kty: "EC", crv: "P-256", x: point.subarray(1, 33).toString("base64url"), y: point.subarray(33).toString("base64url") },
    format: "jwk",
  });
  if (!verify("sha256", Buffer.from(`${head}.${payload}`), { key, dsaEncoding: "ieee-p1363" }, Buffer.from(signature, "base64url")))
    throw new Error("bad VAPID signature");
  const header0 = JSON.parse(Buffer.from(head, "base64url").toString());
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  if (header0.alg !== "ES256") throw new Error("VAPID JWT is not ES256");
  if (claims.aud !== audience) throw new Error(`VAPID audience ${claims.aud}, expected ${audience}`);
  if (!(claims.exp * 1000 > now.getTime() && claims.exp * 1000 <= now.getTime() + 24 * 3600 * 1000 + 60_000)) throw new Error("VAPID JWT expiry out of range");
  if (!/^(mailto:|https:)/.test(claims.sub)) throw new Error("VAPID subject missing");
  return { publicKey, subject: claims.sub };
}

export type ReceivedPush = { path: string; payload: Record<string, unknown>; topic: string | null; ttl: string | null; vapidKey: string };

/**
 * A push service on a local https port, as browsers' vendors run them (RFC 8030): each POST to
 * `/push/<id>` must carry a valid VAPID JWT for this origin; its aes128gcm body is decrypted with
 * the browser subscription registered for that path and kept. `answer(path, ...statuses)` makes
 * the next requests to a path answer those statuses instead (410 gone, 429, 503); `hold(true)`
 * leaves every request unanswered.
 */
export async function startTestPushService(options: { now: () => Date }) {
  const tls = selfSignedCertificate();
  const browsers = new Map<string, BrowserSubscription>();
  const answers = new Map<string, number[]>();
  const received: ReceivedPush[] = [];
  const refused: string[] = [];
  let holding = false;
  let held = 0;
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls,
    async fetch(request) {
      const url = new URL(request.url);
      if (holding) {
        // Never answered: the sender's connection stays open until it gives up (or dies); nothing is delivered.
        held += 1;
        await new Promise((resolve) => request.signal.addEventListener("abort", resolve));
        return new Response(null, { status: 503 });
      }
      const status = answers.get(url.pathname)?.shift();
      if (status) return new Response(null, { status, headers: status === 429 ? { "retry-after": "0" } : {} });
      const browser = browsers.get(url.pathname);
      if (request.method !== "POST" || !browser) return new Response(null, { status: 404 });
      try {
        if (request.headers.get("content-encoding") !== "aes128gcm") throw new Error("not aes128gcm");
        if (!request.headers.get("ttl")) throw new Error("no TTL");
        const { publicKey } = verifyVapid(request.headers.get("authorization"), url.origin, options.now());
        const payload = JSON.parse(decryptPush(Buffer.from(await request.arrayBuffer()), browser));
        received.push({ path: url.pathname, payload, topic: request.headers.get("topic"), ttl: request.headers.get("ttl"), vapidKey: publicKey });
        return new Response(null, { status: 201, headers: { location: `${url.origin}/message/${received.length}` } });
      } catch (error) {
        refused.push(String(error));
        return new Response(String(error), { status: 400 });
      }
    },
  });
  const origin = `https://127.0.0.1:${server.port}`;
  let next = 0;
  return {
    origin,
    /** A new browser subscription whose endpoint is on this push service. */
    subscribe: () => {
      next += 1;
      const browser = makeBrowserSubscription(`${origin}/push/${next}`);
      browsers.set(`/push/${next}`, browser);
      return browser;
    },
    answer: (endpoint: string, ...statuses: number[]) => answers.set(new URL(endpoint).pathname, statuses),
    /** While on, requests are held unanswered (a push service that hangs): none is delivered. */
    hold: (on: boolean) => {
      holding = on;
    },
    /** How many requests were held. */
    held: () => held,
    /** The certificate to trust (another process's fetch). */
    ca: tls.cert,
    received,
    refused,
    /** What reached a browser. */
    to: (endpoint: string) => received.filter((push) => push.path === new URL(endpoint).pathname),
    /** A fetch trusting this service's certificate, as a real one's is trusted. */
    fetch: ((input: string | URL | Request, init?: RequestInit) => fetch(input, { ...init, tls: { ca: tls.cert } } as RequestInit)) as typeof fetch,
    stop: () => server.stop(true),
  };
}
