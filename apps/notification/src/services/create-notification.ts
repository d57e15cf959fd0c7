import { typeNamed } from "../catalog/index";
import type { Ctx } from "../deps";
import { queueDeliveries } from "../helpers/queue-deliveries";
import { announceCreated } from "../realtime/announce";
import { ensureSettings } from "./ensure-settings";
import { insertNotifications } from "./insert-notifications";

type Input = {
  userId: string;
  /** A key of the type catalog. */
  type: string;
  data: unknown;
  /** What made it (a bus event's id): the same key again makes no second notification. */
  sourceKey?: string;
  /** Where to email it when the trigger says (auth's verification and reset events carry the address). */
  email?: string;
};

/**
 * One notification for one user (what an event triggers): their settings made sure of first (read
 * from the user service on a miss), then stored and planned as insertNotifications does, then every
 * delivery still pending queued, one job per delivery id, and the user's open sockets told, so that a redelivered event (same
 * `sourceKey`) queues what a crash left unqueued and sends nothing twice. Returns the notification.
 */
export async function createNotification({ ctx, input }: { ctx: Ctx; input: Input }) {
  const { clock } = ctx.deps;
  const type = typeNamed(input.type);
  const data = type.data.parse(input.data);
  await ensureSettings({ ctx, input: { userId: input.userId } });
  const { sourceKey } = input;
  // One statement writes it (shared with concurrent callers'): no transaction needed.
  const made = await insertNotifications(ctx, {
    type,
    data,
    userIds: [input.userId],
    ...(sourceKey ? { sourceKey: () => sourceKey } : {}),
    ...(input.email ? { email: input.email } : {}),
    now: clock(),
  });
  const id = made.ids[0] as string;
  await queueDeliveries(ctx, made.pending);
  // The row the announcement has (read after the write's commit, or by it); it is what this returns.
  const [notification] = await announceCreated(ctx, [id], made.created);
  if (!notification) throw new Error("notification neither created nor found");
  return notification;
}
