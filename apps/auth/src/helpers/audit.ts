import type { Tx } from "@lodge/db";
import { auditLog } from "@lodge/db/schema";
import type { Ctx } from "../deps";

export type AuditAction =
  | "user.registered"
  | "login.succeeded"
  | "login.failed"
  | "login.throttled"
  | "password.changed"
  | "password.reset"
  | "session.revoked"
  | "refresh.reused"
  | "role.changed"
  | "user.banned"
  | "user.unbanned"
  | "password.verify_failed"
  | "email.verified"
  | "client.token_issued";

/** Appends to the audit log, inside the caller's transaction when it has one. */
export async function recordAudit({
  ctx,
  tx,
  entry,
}: {
  ctx: Ctx;
  tx?: Tx;
  entry: { action: AuditAction; userId?: string | null; actorId?: string; details?: Record<string, unknown> };
}) {
  await (tx ?? ctx.deps.db).insert(auditLog).values({
    action: entry.action,
    userId: entry.userId ?? null,
    actorId: entry.actorId ?? null,
    ip: ctx.ip ?? null,
    userAgent: ctx.userAgent?.slice(0, 512) ?? null,
    details: entry.details ?? null,
    at: ctx.deps.clock(),
  });
}
