import type { Envelope, EventType } from "@lodge/events";
import type { Ctx, UserDeps } from "../deps";

/** The context an event handler's service call runs in: the event's request id carries on. */
export function ctxOfEvent(deps: UserDeps, event: Envelope<EventType>): Ctx {
  return { deps, requestId: event.requestId, logger: deps.logger.child({ eventId: event.id, type: event.type, requestId: event.requestId }) };
}
