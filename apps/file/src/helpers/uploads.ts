import { uploads } from "@lodge/db/schema";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import { deletePrefix } from "./storage/index";

export type UploadRow = typeof uploads.$inferSelect;
export type UploadMetadata = {
  name?: string;
  type?: string;
  /** The Upload-Metadata header as the client sent it (echoed on HEAD). */
  raw?: string;
  /** Each PATCH's bytes are one stored part, in order. */
  parts?: { key: string; offset: number; size: number }[];
  /** Set when the last byte arrived and the file was created. */
  fileId?: string;
};

export const metadataOf = (upload: UploadRow) => upload.metadata as UploadMetadata;

/** The parts, then the row (the caller holds the upload's lock). */
export async function removeUpload(ctx: Ctx, upload: Pick<UploadRow, "id" | "storageKey">) {
  await deletePrefix(ctx.deps.storage, upload.storageKey);
  await ctx.deps.db.delete(uploads).where(eq(uploads.id, upload.id));
}
