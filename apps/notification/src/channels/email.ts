import { type Mailer, messageIdFor } from "../helpers/mailer";
import type { DeliveryChannel } from "./types";

/**
 * Email: to the address stored on the delivery at creation (the one an auth event carried, or the
 * user's known address), under a Message-ID stable across attempts. Every SMTP failure is retried.
 */
export function emailChannel(options: { mailer: Mailer; from: string }): DeliveryChannel<string> {
  return {
    name: "email",
    configured: true,
    addressesOf: async (_tx, { stored }) => (stored ? [stored] : []),
    reachable: async (_tx, targets) => new Set(targets.filter((target) => target.stored).map((target) => target.userId)),
    send: async ({ address, rendered, key }) => {
      const messageId = messageIdFor(key, options.from);
      try {
        await options.mailer.send({ to: address, ...rendered.email, messageId });
        return { outcome: "sent", messageId };
      } catch (error) {
        return { outcome: "retry", error };
      }
    },
    forget: async () => {},
  };
}
