import type { sessions } from "@lodge/db/schema";

export function describeSession(
  session: Pick<typeof sessions.$inferSelect, "id" | "createdAt" | "lastUsedAt" | "expiresAt" | "ip" | "userAgent">,
  currentSessionId: string,
) {
  return {
    id: session.id,
    createdAt: session.createdAt.toISOString(),
    lastUsedAt: session.lastUsedAt.toISOString(),
    expiresAt: session.expiresAt.toISOString(),
    ip: session.ip,
    userAgent: session.userAgent,
    current: session.id === currentSessionId,
  };
}
