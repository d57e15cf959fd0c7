import { ApiError, type RemoteCall, type RemoteReply } from "@lodge/kit";
import type { z } from "zod";
import type { Ctx } from "../deps";

type Peer = "user" | "ai" | "notification";

/**
 * A call to another Lodge service for a linked chat's user (`X-Lodge-User`), carrying the update's
 * request id. Without BOT_CLIENT_SECRET the bot cannot reach them at all: UNAVAILABLE, as when the
 * service is down (the features answer both with "try again later").
 */
export function callAsUser(
  ctx: Ctx,
  userId: string,
  peer: Peer,
  path: string,
  init: Pick<RemoteCall, "method" | "body"> = { method: "GET" },
): Promise<RemoteReply> {
  const services = ctx.deps.services;
  if (!services) throw new ApiError({ code: "UNAVAILABLE", message: "BOT_CLIENT_SECRET is unset: the bot cannot reach the other services" });
  return services.call(peer, path, { ...init, actingFor: userId, requestId: ctx.requestId });
}

/** A reply's body read with `schema`; a reply in another shape is a bug on one side (logged by the error boundary), not the user's doing. */
export function replyBody<Schema extends z.ZodType>(reply: RemoteReply, schema: Schema, what: string): z.infer<Schema> {
  const parsed = schema.safeParse(reply.json);
  if (!parsed.success) throw new Error(`${what}: unexpected reply ${reply.status}`);
  return parsed.data;
}

/** A status the bot has no answer for (a 401 or 403 means its client or scopes are misconfigured). */
export function unexpectedReply(reply: RemoteReply, what: string): Error {
  const code = (reply.json as { error?: { code?: string } } | undefined)?.error?.code;
  return new Error(`${what}: unexpected reply ${reply.status}${code ? ` ${code}` : ""}`);
}
