import { notifications } from "@lodge/db/schema";
import { and, eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { notFound } from "../helpers/views";
import { announceUpdated } from "../realtime/announce";

/** Marks one of the user's notifications read or unread, archived or not. A time already set is kept. */
export async function updateNotification({ ctx, input }: { ctx: Ctx; input: { userId: string; id: string; read?: boolean; archived?: boolean } }) {
  const { db, clock } = ctx.deps;
  const now = clock();
  const updated = await db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(notifications)
      .where(and(eq(notifications.id, input.id), eq(notifications.userId, input.userId)))
      .for("update");
    if (!row) throw notFound();
    const readAt = input.read === undefined ? row.readAt : input.read ? (row.readAt ?? now) : null;
    const archivedAt = input.archived === undefined ? row.archivedAt : input.archived ? (row.archivedAt ?? now) : null;
    const [updated] = await tx.update(notifications).set({ readAt, archivedAt }).where(eq(notifications.id, row.id)).returning();
    return updated ?? row;
  });
  await announceUpdated(ctx, input.userId, {
    ids: [updated.id],
    readAt: updated.readAt?.toISOString() ?? null,
    archivedAt: updated.archivedAt?.toISOString() ?? null,
  });
  return updated;
}
