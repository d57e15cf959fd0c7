import type { Logger } from "@lodge/base";
import { ApiError } from "./errors";

export type RemoteReply = { status: number; json: unknown; headers: Headers };

export type RemoteCall = {
  method: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as they are instead (a file for the file service), with their content type. */
  bytes?: { data: Uint8Array; contentType: string };
  /** The request this call serves, sent on as X-Request-Id so one id follows it through every service. */
  requestId?: string;
  /** The user this service acts for, sent as X-Lodge-User: the callee applies that user's limits and permissions (its scope must allow acting for users). */
  actingFor?: string;
};

export type RemoteServicesOptions<Service extends string> = {
  /** Base URL of each service this one calls, and of auth, which issues the token. */
  urls: Record<Service | "auth", string>;
  /** This service's client credentials at auth. */
  client: { id: string; secret: string };
  /** A call (or the token request) that takes longer is abandoned and answered 503. */
  timeoutMs: number;
  logger: Logger;
  /** When the cached token is due for renewal is read from this clock (tests move it). */
  clock?: () => Date;
};

/** Seconds a caller is told to wait when a service is down (Retry-After). */
const RETRY_AFTER_SECONDS = 5;
/** The token is fetched again this long before it expires, so no call carries one that lapses on the way. */
const RENEW_BEFORE_EXPIRY_SECONDS = 60;

/**
 * Calls from this service to other Lodge services (not to be confused with auth's registered
 * clients): each call carries this service's client-credentials token, from auth's POST /auth/token,
 * cached until a minute before it expires (concurrent callers share one fetch) and fetched again
 * after a 401. A service that cannot be reached, times out or answers 5xx becomes a 503 with
 * Retry-After. Built once at boot into deps.
 */
export function connectToServices<Service extends string>(options: RemoteServicesOptions<Service>) {
  const clock = options.clock ?? (() => new Date());
  let cached: { token: string; renewAt: number } | undefined;
  let inflight: Promise<string> | undefined;

  const unavailable = (service: Service | "auth") =>
    new ApiError({ code: "UNAVAILABLE", message: `The ${service} service is unavailable, try again shortly`, retryAfter: RETRY_AFTER_SECONDS });

  async function send(service: Service | "auth", path: string, init: RemoteCall & { token?: string }): Promise<RemoteReply> {
    const headers: Record<string, string> = {};
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.bytes) headers["content-type"] = init.bytes.contentType;
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.requestId) headers["x-request-id"] = init.requestId;
    if (init.actingFor) headers["x-lodge-user"] = init.actingFor;
    let response: Response;
    let text: string;
    try {
      // The timeout covers the body too: a peer that sends headers and then stalls is as down as one that never answers.
      response = await fetch(`${options.urls[service]}${path}`, {
        method: init.method,
        headers,
        body: init.bytes ? init.bytes.data : init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: "error",
      });
      text = await response.text();
    } catch (error) {
      options.logger.warn({ err: error, service, path }, "remote call failed");
      throw unavailable(service);
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (response.status >= 500) {
      options.logger.warn({ service, path, status: response.status }, "remote service error");
      throw unavailable(service);
    }
    return { status: response.status, json, headers: response.headers };
  }

  async function fetchToken(requestId?: string): Promise<string> {
    const reply = await send("auth", "/auth/token", { method: "POST", body: { clientId: options.client.id, clientSecret: options.client.secret }, requestId });
    const body = reply.json as { accessToken?: string; expiresIn?: number } | undefined;
    if (reply.status !== 200 || !body?.accessToken) {
      // Wrong client id, secret or scopes: a configuration error, not something a retry fixes.
      options.logger.error({ status: reply.status, clientId: options.client.id }, "auth refused this service's client credentials (its client id and secret)");
      if (reply.status === 429) throw unavailable("auth");
      throw new ApiError({ code: "INTERNAL", message: "Internal error" });
    }
    const lifetime = Math.max(0, (body.expiresIn ?? RENEW_BEFORE_EXPIRY_SECONDS) - RENEW_BEFORE_EXPIRY_SECONDS);
    cached = { token: body.accessToken, renewAt: clock().getTime() + lifetime * 1000 };
    return body.accessToken;
  }

  /**
   * This service's token, for a client that sends its own requests (the OpenAI SDK towards the AI
   * service); `refused`: the token a callee answered 401 to, dropped if still cached so a new one is fetched.
   */
  function token(options: { requestId?: string; refused?: string } = {}): Promise<string> {
    if (options.refused !== undefined && cached?.token === options.refused) cached = undefined;
    if (cached && clock().getTime() < cached.renewAt) return Promise.resolve(cached.token);
    // Concurrent requests share one token request.
    inflight ??= fetchToken(options.requestId).finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  /** One authenticated call; a 401 (a token from a rotated key, say) is retried once with a new token. */
  async function call(service: Service, path: string, init: RemoteCall): Promise<RemoteReply> {
    const used = await token({ requestId: init.requestId });
    const first = await send(service, path, { ...init, token: used });
    if (first.status !== 401) return first;
    // Only the token that was refused is dropped: another caller may already hold a fresh one.
    return send(service, path, { ...init, token: await token({ requestId: init.requestId, refused: used }) });
  }

  return { call, token, unavailable };
}

export type RemoteServices<Service extends string = string> = ReturnType<typeof connectToServices<Service>>;
