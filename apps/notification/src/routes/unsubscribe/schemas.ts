import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { unsubscribeTokenPattern } from "../../helpers/unsubscribe";

export const UnsubscribeToken = z.object({
  token: z
    .string()
    .regex(unsubscribeTokenPattern, "not an unsubscribe token")
    .openapi({ param: { name: "token", in: "query" }, description: "The signed token of the email's List-Unsubscribe link" }),
});

export const htmlPage = (description: string) => ({ description, content: { "text/html": { schema: z.string() } } });

/**
 * An HTML page that runs nothing and loads nothing, cannot be framed, is not cached and sends no
 * Referer (its URL carries the token); its form may only post back here.
 */
export function servePage(c: Context, html: string) {
  c.header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'");
  c.header("Cache-Control", "no-store");
  c.header("Referrer-Policy", "no-referrer");
  c.header("X-Content-Type-Options", "nosniff");
  c.header("X-Frame-Options", "DENY");
  return c.html(html, 200);
}
