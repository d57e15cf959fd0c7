import type { EventDataOf } from "@lodge/events";
import type { Ctx } from "../deps";

/** Another service's message for the user's open sockets (`realtime.message` on the bus), to each of them as `{ type, data }`. */
export const relayMessage = (ctx: Ctx, message: EventDataOf<"realtime.message">) =>
  ctx.deps.realtime.publish(message.userId, { type: message.type as `${string}.${string}`, data: message.data });
