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

/** The file service's HTTP options beyond the kit's: streamed upload bodies, and the tus headers CORS lets through. */
export const fileHttp = { rawBody, cors: { allowHeaders: tusRequestHeaders, exposeHeaders: tusResponseHeaders } };
