import { z } from "@hono/zod-openapi";
import { userExportRoutes } from "@lodge/kit";
import type { FileDeps } from "../../deps";
import { exportUser } from "../../services/export-user";
import { File } from "../schemas";

const FileExport = z
  .object({
    userId: z.uuid(),
    files: z.array(File),
    uploads: z.array(
      z.object({
        id: z.uuid(),
        length: z.number().int(),
        offset: z.number().int(),
        name: z.string().nullable(),
        createdAt: z.string(),
        expiresAt: z.string(),
      }),
    ),
  })
  .openapi("FileExport");

/** What the user service fetches for a user's data export: everything this service holds about them. */
export function exportRoutes(deps: FileDeps) {
  return userExportRoutes(deps, { prefix: "/files", scope: "files:export", summary: "A user's file metadata", data: FileExport, exportUser });
}
