import type { Ctx } from "../deps";

/** How long a ticket may wait for its socket. */
export const TICKET_TTL_MS = 30_000;

type Holder = { userId: string; sessionId: string };

/** Tickets are kept under their SHA-256: a Redis dump holds no usable one. */
const keyOf = (ctx: Ctx, ticket: string) =>
  `${ctx.deps.redisPrefix}notification:realtime-ticket:${new Bun.CryptoHasher("sha256").update(ticket).digest("hex")}`;

/**
 * A single-use ticket for opening the realtime socket (browsers cannot send a bearer header on a
 * WebSocket, and a long-lived token in a URL ends up in logs). It names the user and the session of
 * the token that asked for it, so revoking the session closes the socket too.
 */
export async function issueTicket({ ctx, input }: { ctx: Ctx; input: Holder }) {
  const ticket = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
  const expiresAt = ctx.deps.clock().getTime() + TICKET_TTL_MS;
  // Redis forgets it a while after it expires (its own clock); the check below is on the service's.
  await ctx.deps.redis.set(keyOf(ctx, ticket), JSON.stringify({ ...input, expiresAt }), "PX", 2 * TICKET_TTL_MS);
  return { ticket, expiresAt: new Date(expiresAt) };
}

/** The holder of a ticket, consumed at once (GETDEL: a second use finds nothing); undefined for an unknown, used or expired one. */
export async function redeemTicket({ ctx, input }: { ctx: Ctx; input: { ticket: string } }): Promise<Holder | undefined> {
  const stored = await ctx.deps.redis.getdel(keyOf(ctx, input.ticket));
  if (!stored) return undefined;
  const { userId, sessionId, expiresAt } = JSON.parse(stored) as Holder & { expiresAt: number };
  return ctx.deps.clock().getTime() < expiresAt ? { userId, sessionId } : undefined;
}
