import { fcmDevices } from "@lodge/db/schema";
import { retryAfterMs } from "@lodge/kit";
import { eq } from "drizzle-orm";
import { JWT } from "google-auth-library";
import type { NotificationConfig } from "../config";
import { classifyStatus, type DeliveryChannel, usersIn } from "./types";

type Device = typeof fcmDevices.$inferSelect;

const scope = "https://www.googleapis.com/auth/firebase.messaging";
const googleTokenUrl = "https://oauth2.googleapis.com/token";

/**
 * FCM through the HTTP v1 API (`POST {FCM_API_URL}/v1/projects/{project}/messages:send`) to each of
 * the user's devices, authorized by the service account: `google-auth-library`'s JWT client signs
 * an assertion and exchanges it for a cached access token (at FCM_TOKEN_URL when set, for a test's
 * token endpoint). UNREGISTERED (404) or a token of another sender: the device is removed;
 * 429/5xx: retried after the `Retry-After` FCM gives.
 */
export function fcmChannel(options: { config: NotificationConfig; clock: () => Date }): DeliveryChannel<Device> {
  const fcm = options.config.fcm;
  const auth = fcm ? new JWT({ email: fcm.serviceAccount.client_email, key: fcm.serviceAccount.private_key, scopes: [scope] }) : undefined;
  const tokenUrl = fcm?.tokenUrl;
  if (auth && tokenUrl)
    auth.transporter.interceptors.request.add({
      resolved: async (request) => (String(request.url) === googleTokenUrl ? { ...request, url: new URL(tokenUrl) } : request),
    });
  return {
    name: "fcm",
    configured: fcm !== undefined,
    addressesOf: (tx, { userId }) => tx.select().from(fcmDevices).where(eq(fcmDevices.userId, userId)),
    reachable: (tx, targets) => usersIn(tx, fcmDevices, targets),
    send: async ({ address, rendered, notificationId }) => {
      if (!fcm || !auth) return { outcome: "failed", error: new Error("FCM is not configured") };
      const { title, body, link } = rendered.push;
      const message = {
        token: address.token,
        notification: { title, body },
        // FCM's data values are strings only.
        data: { ...(notificationId ? { notificationId } : {}), ...(link ? { link } : {}) },
        ...(link && address.platform === "web" ? { webpush: { fcm_options: { link } } } : {}),
      };
      try {
        const { token } = await auth.getAccessToken();
        const response = await fetch(`${fcm.apiUrl}/v1/projects/${encodeURIComponent(fcm.serviceAccount.project_id)}/messages:send`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
          body: JSON.stringify({ message }),
          signal: AbortSignal.timeout(10_000),
        });
        const answer = (await response.json().catch(() => ({}))) as FcmAnswer;
        if (response.ok) return { outcome: "sent", messageId: answer.name };
        const error = new Error(`FCM answered ${response.status} ${answer.error?.status ?? ""}`.trim());
        const code = answer.error?.details?.find((detail) => detail.errorCode)?.errorCode;
        if (code === "UNREGISTERED" || code === "SENDER_ID_MISMATCH") return { outcome: "gone", error };
        return classifyStatus(response.status, error, retryAfterMs(response.headers.get("retry-after"), options.clock()));
      } catch (error) {
        // The token endpoint or FCM unreachable.
        return { outcome: "retry", error };
      }
    },
    forget: async (tx, address) => {
      await tx.delete(fcmDevices).where(eq(fcmDevices.id, address.id));
    },
  };
}

type FcmAnswer = { name?: string; error?: { code?: number; status?: string; details?: { errorCode?: string }[] } };
