import { ApiError, type Logger } from "@lodge/kit";

type Service = "auth" | "file";
export type RemoteReply = { status: number; json: unknown; headers: Headers };

/**
 * Calls to the auth and file services with this service's client-credentials token (from auth's
 * POST /auth/token, cached until a minute before it expires and fetched again after a 401). A
 * service that cannot be reached, times out or answers 5xx becomes a 503 with Retry-After.
 */
export function createServiceClient(options: { urls: Record<Service, string>; client: { id: string; secret: string }; timeoutMs: number; logger: Logger }) {
  let cached: { token: string; refreshAt: number } | undefined;
  let inflight: Promise<string> | undefined;

  const unavailable = (service: Service) =>
    new ApiError({ code: "UNAVAILABLE", message: `The ${service} service is unavailable, try again shortly`, retryAfter: 5 });

  async function send(service: Service, path: string, init: { method: string; body?: unknown; token?: string; requestId?: string }): Promise<RemoteReply> {
    const headers: Record<string, string> = {};
    if (init.body !== undefined) headers["content-type"] = "application/json";
    if (init.token) headers.authorization = `Bearer ${init.token}`;
    if (init.requestId) headers["x-request-id"] = init.requestId;
    let response: Response;
    try {
      response = await fetch(`${options.urls[service]}${path}`, {
        method: init.method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(options.timeoutMs),
        redirect: "error",
      });
    } catch (error) {
      options.logger.warn({ err: error, service, path }, "remote call failed");
      throw unavailable(service);
    }
    const text = await response.text().catch(() => "");
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
      options.logger.error({ status: reply.status }, "auth refused this service's client credentials (USER_CLIENT_ID, USER_CLIENT_SECRET)");
      if (reply.status === 429) throw unavailable("auth");
      throw new ApiError({ code: "INTERNAL", message: "Internal error" });
    }
    cached = { token: body.accessToken, refreshAt: Date.now() + Math.max(0, (body.expiresIn ?? 60) - 60) * 1000 };
    return body.accessToken;
  }

  async function token(requestId?: string): Promise<string> {
    if (cached && Date.now() < cached.refreshAt) return cached.token;
    // Concurrent requests share one token request.
    inflight ??= fetchToken(requestId).finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  /** One authenticated call; a 401 (a token from a rotated key, say) is retried once with a new token. */
  async function call(service: Service, path: string, init: { method: string; body?: unknown; requestId?: string }): Promise<RemoteReply> {
    const first = await send(service, path, { ...init, token: await token(init.requestId) });
    if (first.status !== 401) return first;
    cached = undefined;
    return send(service, path, { ...init, token: await token(init.requestId) });
  }

  return { call, unavailable };
}

export type ServiceClient = ReturnType<typeof createServiceClient>;
