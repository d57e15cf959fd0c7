import { z } from "@hono/zod-openapi";

export const UserIdParams = z.object({ id: z.uuid().openapi({ param: { name: "id", in: "path" }, example: "0190a5b2-7c4e-7d1a-9f3b-2a4c6e8f0a1b" }) });
