import { ApiError, createRouter, ctxOf } from "@lodge/kit";
import type { AnalyticsDeps } from "../../deps";
import { allowIngestOrigin } from "../../services/allow-ingest-origin";
import { ingest, ingestRoute } from "./ingest";

/** The tracker's ingest (public), and its CORS preflight for the pages of registered sites. */
export function eventRoutes(deps: AnalyticsDeps) {
  const router = createRouter();
  router.openapi(ingestRoute, ingest(deps));
  router.options(ingestRoute.path, async (c) => {
    const origin = c.req.header("origin");
    if (!origin || !(await allowIngestOrigin({ ctx: ctxOf(c, deps), input: { origin } }))) {
      throw new ApiError({ code: "FORBIDDEN", message: "This origin may not send events" });
    }
    c.header("Access-Control-Allow-Origin", origin);
    c.header("Access-Control-Allow-Methods", "POST, OPTIONS");
    c.header("Access-Control-Allow-Headers", "Content-Type");
    c.header("Access-Control-Max-Age", "600");
    c.header("Vary", "Origin");
    return c.body(null, 204);
  });
  return router;
}
