import type { EventBus } from "@lodge/events";
import { ApiError, createApp, createAuthGuard, createLogger, createMetrics, remoteKeys } from "@lodge/kit";

/**
 * Until the real file service can be started in-process, a stand-in that speaks the two routes the
 * user service calls (PATCH /files/:id {public}, GET /files/export/:userId) with the same scopes,
 * publishes `file.uploaded` for test uploads, and plays the file service's part of an account
 * deletion (consumer group "file": erase, then `user.data_erased {service: "file"}`). It keeps its
 * files in memory, so nothing of it is in Postgres.
 */
export function startFileStandIn(options: { bus: EventBus; jwksUrl: string }) {
  const files = new Map<string, { id: string; ownerId: string; contentType: string; size: number; public: boolean }>();
  const requireAuth = createAuthGuard({ keys: remoteKeys(options.jwksUrl), issuer: "lodge", audience: "lodge" });
  const app = createApp({
    service: "file",
    logger: createLogger({ service: "file", level: "silent" }),
    metrics: createMetrics("file"),
    corsOrigins: [],
    trustedProxies: [],
    bodyLimitBytes: 1024,
  });
  app.patch("/files/:id", requireAuth({ scopes: ["files:write"] }), async (c) => {
    const file = files.get(c.req.param("id"));
    if (!file) throw new ApiError({ code: "NOT_FOUND", message: "No such file" });
    file.public = ((await c.req.json()) as { public: boolean }).public;
    return c.json(file);
  });
  app.get("/files/export/:userId", requireAuth({ scopes: ["files:export"] }), (c) =>
    c.json({ userId: c.req.param("userId"), files: [...files.values()].filter((file) => file.ownerId === c.req.param("userId")), uploads: [] }),
  );
  const consumer = options.bus.subscribe({
    group: "file",
    handlers: {
      "user.deletion_requested": async (event) => {
        for (const file of [...files.values()].filter((entry) => entry.ownerId === event.data.userId)) {
          files.delete(file.id);
          await options.bus.publish("file.deleted", { fileId: file.id, ownerId: file.ownerId });
        }
        await options.bus.publish("user.data_erased", { userId: event.data.userId, service: "file" });
      },
    },
  });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: app.fetch });
  return {
    url: `http://127.0.0.1:${server.port}`,
    files,
    /** Stores a file for `ownerId` and announces it, as an upload would. */
    async upload(ownerId: string, contentType: string) {
      const file = { id: crypto.randomUUID(), ownerId, contentType, size: 1234, public: false };
      files.set(file.id, file);
      await options.bus.publish("file.uploaded", { fileId: file.id, ownerId, name: "picture", contentType, size: file.size, sha256: "0".repeat(64) });
      return file.id;
    },
    /** Deletes a file as its owner would. */
    async remove(fileId: string) {
      const file = files.get(fileId);
      if (!file) return;
      files.delete(fileId);
      await options.bus.publish("file.deleted", { fileId, ownerId: file.ownerId });
    },
    close: async () => {
      await consumer.stop();
      await server.stop(true);
    },
  };
}
