import { files, uploads } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { fileView } from "../helpers/views";

/** The user's file metadata, for the user service's GDPR export. */
export async function exportUser({ ctx, input }: { ctx: Ctx; input: { userId: string } }) {
  const { db, config } = ctx.deps;
  const rows = await db.select().from(files).where(eq(files.ownerId, input.userId)).orderBy(files.id);
  const pending = await db.select().from(uploads).where(eq(uploads.ownerId, input.userId)).orderBy(uploads.id);
  return {
    userId: input.userId,
    files: rows.map((row) => fileView(row, config)),
    uploads: pending.map((upload) => ({
      id: upload.id,
      length: upload.length,
      offset: upload.offset,
      name: (upload.metadata as { name?: string }).name ?? null,
      createdAt: upload.createdAt.toISOString(),
      expiresAt: upload.expiresAt.toISOString(),
    })),
  };
}
