import { files } from "@lodge/db/schema";
import { ApiError, type Principal } from "@lodge/kit";
import { eq } from "drizzle-orm";
import type { Ctx } from "../deps";
import type { FileRow } from "./views";

export type Access = "read" | "manage" | "publish";

/** A file row, from this instance's cache or Postgres; 404 when there is none. */
export async function loadFile(ctx: Ctx, id: string): Promise<FileRow> {
  const cached = ctx.deps.caches.files.get(id);
  if (cached) return cached;
  const [row] = await ctx.deps.db.select().from(files).where(eq(files.id, id)).limit(1);
  if (!row) throw notFound();
  ctx.deps.caches.files.set(row);
  return row;
}

/**
 * Who may do what with a file. Owners and admins: everything. Service clients: read with
 * `files:read`, set the public flag with `files:write` (the user service publishing an avatar).
 */
export function allowed(principal: Principal | undefined, row: FileRow, access: Access): boolean {
  if (!principal) return false;
  if (principal.kind === "user") return principal.userId === row.ownerId || principal.role === "admin";
  if (access === "read") return principal.scopes.includes("files:read") || principal.scopes.includes("files:write");
  if (access === "publish") return principal.scopes.includes("files:write");
  return false;
}

/** The file if `principal` may act on it; otherwise 404, so another user's file ids reveal nothing. */
export async function authorizedFile(ctx: Ctx, id: string, principal: Principal | undefined, access: Access): Promise<FileRow> {
  const row = await loadFile(ctx, id);
  if (!allowed(principal, row, access)) throw notFound();
  return row;
}

export function notFound() {
  return new ApiError({ code: "NOT_FOUND", message: "No such file" });
}
