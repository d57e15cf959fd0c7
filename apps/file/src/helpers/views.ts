import type { files } from "@lodge/db/schema";
import type { FileConfig } from "../config";

export type FileRow = typeof files.$inferSelect;

/** A file as the API shows it. */
export function fileView(row: FileRow, config: FileConfig) {
  return {
    id: row.id,
    name: row.name,
    size: row.size,
    contentType: row.contentType,
    sha256: row.sha256,
    createdAt: row.createdAt.toISOString(),
    url: contentUrl(config, row.id),
    public: row.public,
    width: row.width,
    height: row.height,
  };
}

export function contentUrl(config: FileConfig, fileId: string) {
  return `${config.publicUrl}/files/${fileId}/content`;
}
