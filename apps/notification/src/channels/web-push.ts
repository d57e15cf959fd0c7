import { pushSubscriptions } from "@lodge/db/schema";
import { checkTarget, RefusedTarget, retryAfterMs } from "@lodge/kit";
import { eq } from "drizzle-orm";
import webpush from "web-push";
import type { NotificationConfig } from "../config";
import { classifyStatus, type DeliveryChannel, usersIn } from "./types";

type Subscription = typeof pushSubscriptions.$inferSelect;

/**
 * Web Push (RFC 8030) to each of the user's browsers: `web-push` encrypts the payload (aes128gcm,
 * RFC 8291) to the subscription's keys and signs the VAPID JWT (RFC 8292); the request goes out
 * with `fetch` after the endpoint is checked again against private addresses. The `Topic` is the
 * delivery's id, so a retry replaces a copy still waiting at the push service. 404/410: the
 * subscription expired and is deleted; 429/5xx: retried.
 */
export function webPushChannel(options: { config: NotificationConfig; fetch: typeof fetch; clock: () => Date }): DeliveryChannel<Subscription> {
  const { webPush: vapid, webPushAllowedHosts } = options.config;
  return {
    name: "web_push",
    configured: vapid !== undefined,
    addressesOf: (tx, { userId }) => tx.select().from(pushSubscriptions).where(eq(pushSubscriptions.userId, userId)),
    reachable: (tx, targets) => usersIn(tx, pushSubscriptions, targets),
    send: async ({ address, rendered, notificationId, key }) => {
      if (!vapid) return { outcome: "failed", error: new Error("web push is not configured") };
      const refused = await checkTarget(address.endpoint, { allowedHosts: webPushAllowedHosts }).then(
        () => undefined,
        (error: unknown) => (error instanceof RefusedTarget ? error : Promise.reject(error)),
      );
      if (refused) return { outcome: "gone", error: new Error(`push endpoint refused: ${refused.message}`) };
      const payload = JSON.stringify({ ...rendered.push, notificationId });
      const request = webpush.generateRequestDetails({ endpoint: address.endpoint, keys: { p256dh: address.p256dh, auth: address.auth } }, payload, {
        vapidDetails: vapid,
        TTL: 24 * 3600,
        contentEncoding: "aes128gcm",
        topic: key.replaceAll("-", ""),
      });
      try {
        const response = await options.fetch(request.endpoint, {
          method: request.method,
          headers: request.headers as Record<string, string>,
          body: request.body ?? undefined,
          redirect: "manual",
          signal: AbortSignal.timeout(10_000),
        });
        await response.body?.cancel();
        if (response.status >= 200 && response.status < 300) return { outcome: "sent", messageId: response.headers.get("location") ?? undefined };
        const error = new Error(`push service answered ${response.status}`);
        return classifyStatus(response.status, error, retryAfterMs(response.headers.get("retry-after"), options.clock()));
      } catch (error) {
        return { outcome: "retry", error };
      }
    },
    forget: async (tx, address) => {
      await tx.delete(pushSubscriptions).where(eq(pushSubscriptions.id, address.id));
    },
  };
}
