import { generateKeyPairSync, randomBytes, verify } from "node:crypto";

const googleTokenUrl = "https://oauth2.googleapis.com/token";
const scope = "https://www.googleapis.com/auth/firebase.messaging";

/**
 * Google's side of FCM on a local port: `/token` exchanges a service account's signed JWT for an
 * access token as Google's OAuth endpoint does (RS256 signature checked against the account's
 * public key, issuer, audience, scope), and `/v1/projects/{project}/messages:send` accepts a
 * message only with such a bearer token and in the HTTP v1 shape. Device tokens listed in
 * `unregistered` answer 404 UNREGISTERED, those in `invalid` 400 INVALID_ARGUMENT; `unavailable(n)` answers the next n sends 503.
 */
export function startTestFcm() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const project = "lodge-test";
  const serviceAccount = {
    type: "service_account",
    project_id: project,
    client_email: `notifications@${project}.iam.gserviceaccount.com`,
    private_key: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
  };
  const issued = new Set<string>();
  const unregistered = new Set<string>();
  const invalid = new Set<string>();
  const received: { token: string; notification: { title: string; body: string }; data: Record<string, string> }[] = [];
  const refused: string[] = [];
  let unavailable = 0;
  const fail = (status: number, reason: string, errorCode?: string) => {
    refused.push(reason);
    const details = errorCode ? [{ "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", errorCode }] : [];
    return Response.json({ error: { code: status, message: reason, status: status === 404 ? "NOT_FOUND" : "INVALID_ARGUMENT", details } }, { status });
  };

  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname === "/token" && request.method === "POST") {
        const form = new URLSearchParams(await request.text());
        if (form.get("grant_type") !== "urn:ietf:params:oauth:grant-type:jwt-bearer")
          return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
        const [head = "", payload = "", signature = ""] = (form.get("assertion") ?? "").split(".");
        if (!verify("RSA-SHA256", Buffer.from(`${head}.${payload}`), publicKey, Buffer.from(signature, "base64url")))
          return Response.json({ error: "invalid_grant" }, { status: 400 });
        const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
        if (claims.iss !== serviceAccount.client_email || claims.aud !== googleTokenUrl || !String(claims.scope).split(" ").includes(scope))
          return Response.json({ error: "invalid_grant" }, { status: 400 });
        const accessToken = `ya29.${randomBytes(24).toString("base64url")}`;
        issued.add(accessToken);
        return Response.json({ access_token: accessToken, expires_in: 3599, token_type: "Bearer" });
      }
      if (url.pathname === `/v1/projects/${project}/messages:send` && request.method === "POST") {
        const bearer = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
        if (!bearer || !issued.has(bearer)) return fail(401, "missing or unknown access token");
        if (unavailable > 0) {
          unavailable -= 1;
          return Response.json({ error: { code: 503, status: "UNAVAILABLE" } }, { status: 503, headers: { "retry-after": "0" } });
        }
        const { message } = (await request.json()) as { message?: (typeof received)[number] };
        if (!message?.token || !message.notification?.title || !message.notification.body) return fail(400, "not an HTTP v1 message");
        if (Object.values(message.data ?? {}).some((value) => typeof value !== "string")) return fail(400, "data values must be strings");
        if (unregistered.has(message.token)) return fail(404, "Requested entity was not found.", "UNREGISTERED");
        if (invalid.has(message.token)) return fail(400, "The registration token is not a valid FCM registration token", "INVALID_ARGUMENT");
        received.push(message);
        return Response.json({ name: `projects/${project}/messages/${received.length}` });
      }
      return new Response("not found", { status: 404 });
    },
  });
  const origin = `http://127.0.0.1:${server.port}`;
  return {
    env: { FCM_SERVICE_ACCOUNT: JSON.stringify(serviceAccount), FCM_API_URL: origin, FCM_TOKEN_URL: `${origin}/token` },
    received,
    refused,
    issued,
    unregistered,
    /** Tokens refused as invalid (400 INVALID_ARGUMENT), a failure for good. */
    invalid,
    unavailable: (count: number) => {
      unavailable = count;
    },
    to: (token: string) => received.filter((message) => message.token === token),
    stop: () => server.stop(true),
  };
}
