import { files, uploads, variants } from "@lodge/db/schema";
import { eq, inArray } from "drizzle-orm";
import type { Ctx } from "../deps";
import type { StoredObject } from "../helpers/storage/index";
import { type KeyOwner, ownerOfKey } from "../helpers/storage/keys";
import { tryLockUpload } from "../helpers/upload-lock";
import type { UploadMetadata } from "../helpers/uploads";

type Candidate = { key: string; owner: KeyOwner };

/**
 * The storage sweeper: reconciles stored objects with the rows that list them. An object older
 * than the grace period that no file, variant or upload row records is deleted (a part whose
 * PATCH lost a race, an object left by a crash between the write and the row). The grace period
 * covers writes whose row is not committed yet. Keys this service did not lay out are left alone.
 */
export async function sweepStorage({ ctx }: { ctx: Ctx }) {
  const { storage, clock, config } = ctx.deps;
  const cutoff = clock().getTime() - config.storageSweepGraceMs;
  let scanned = 0;
  let removed = 0;
  for await (const page of storage.scan("")) {
    scanned += page.length;
    const candidates = page.filter((object) => object.modifiedAt.getTime() < cutoff).flatMap(withOwner);
    for (const key of await orphansOf(ctx, candidates)) {
      await storage.delete(key);
      removed += 1;
    }
  }
  return { scanned, removed };
}

const withOwner = (object: StoredObject): Candidate[] => {
  const owner = ownerOfKey(object.key);
  return owner ? [{ key: object.key, owner }] : [];
};

/** The candidates no row records, looked up a page at a time. */
async function orphansOf(ctx: Ctx, candidates: Candidate[]): Promise<string[]> {
  const { db } = ctx.deps;
  const idsOf = (kind: KeyOwner["kind"]) => [
    ...new Set(candidates.flatMap(({ owner }) => (owner.kind !== kind ? [] : [owner.kind === "upload" ? owner.uploadId : owner.fileId]))),
  ];
  const recorded = new Set<string>();
  const fileIds = idsOf("file");
  if (fileIds.length > 0) for (const row of await db.select({ key: files.storageKey }).from(files).where(inArray(files.id, fileIds))) recorded.add(row.key);
  const variantFileIds = idsOf("variant");
  if (variantFileIds.length > 0) {
    for (const row of await db.select({ key: variants.storageKey }).from(variants).where(inArray(variants.fileId, variantFileIds))) recorded.add(row.key);
  }
  const orphans = candidates.filter((candidate) => candidate.owner.kind !== "upload" && !recorded.has(candidate.key)).map((candidate) => candidate.key);
  for (const uploadId of idsOf("upload")) {
    const keys = candidates.filter(({ owner }) => owner.kind === "upload" && owner.uploadId === uploadId).map((candidate) => candidate.key);
    orphans.push(...(await unrecordedParts(ctx, uploadId, keys)));
  }
  return orphans;
}

/** Parts of one upload that its row does not record; read under the upload's lock so a PATCH recording its part is never raced (a busy upload waits for the next run). */
async function unrecordedParts(ctx: Ctx, uploadId: string, keys: string[]): Promise<string[]> {
  const release = await tryLockUpload(ctx, uploadId);
  if (!release) return [];
  try {
    const [row] = await ctx.deps.db.select({ metadata: uploads.metadata }).from(uploads).where(eq(uploads.id, uploadId));
    const parts = new Set(((row?.metadata as UploadMetadata | undefined)?.parts ?? []).map((part) => part.key));
    return keys.filter((key) => !parts.has(key));
  } finally {
    await release();
  }
}
