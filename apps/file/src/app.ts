import { createServiceApp } from "@lodge/kit";
import type { FileDeps } from "./deps";
import { fileRoutes } from "./routes/files/index";
import { uploadRoutes } from "./routes/uploads/index";

/** Upload bodies are read by the routes themselves, as streams, under the file size limit. */
const rawBody = ({ method, path }: { method: string; path: string }) =>
  (method === "POST" && (path === "/files" || path === "/files/uploads")) || (method === "PATCH" && path.startsWith("/files/uploads/"));

const tusRequestHeaders = [
  "Tus-Resumable",
  "Upload-Length",
  "Upload-Metadata",
  "Upload-Offset",
  "Upload-Defer-Length",
  "Upload-Concat",
  "Range",
  "If-None-Match",
];
const tusResponseHeaders = [
  "Location",
  "Tus-Resumable",
  "Tus-Version",
  "Tus-Extension",
  "Tus-Max-Size",
  "Upload-Offset",
  "Upload-Length",
  "Upload-Metadata",
  "Upload-Expires",
  "Lodge-File-Id",
  "Content-Range",
  "Content-Disposition",
  "ETag",
];

export function createFileApp(deps: FileDeps) {
  const app = createServiceApp(deps, {
    service: "file",
    rawBody,
    cors: { allowHeaders: tusRequestHeaders, exposeHeaders: tusResponseHeaders },
    openApi: { prefix: "/files", title: "Lodge files", description: "Uploads (direct and tus), image variants, signed URLs." },
  });
  app.route("/", uploadRoutes(deps));
  app.route("/", fileRoutes(deps));
  return app;
}
