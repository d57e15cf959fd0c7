import { serviceEnv, z } from "@lodge/config";
import { serviceNamed } from "@lodge/services";

export const authEnv = serviceEnv
  .extend({
    PORT: z.coerce.number().int().default(serviceNamed("auth").port),
    /** `Secure` on the refresh cookie; only turn off for plain-http tests. */
    AUTH_COOKIE_SECURE: z.enum(["true", "false"]).default("true"),
    /** `None` when the frontend is on another site (Vercel), `Lax` or `Strict` when same-site. */
    AUTH_COOKIE_SAMESITE: z.enum(["Strict", "Lax", "None"]).default("Lax"),
    REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().positive().default(30),
    /** Machine clients for POST /auth/token: `id:secret:scope scope;id2:secret2:scope`. */
    AUTH_CLIENTS: z
      .string()
      .default("")
      .transform((value, ctx) =>
        value
          .split(";")
          .map((entry) => entry.trim())
          .filter(Boolean)
          .map((entry) => {
            // Scopes may contain ':' themselves (users:read), so only the first two separate fields.
            const [clientId = "", secret = "", ...scopeParts] = entry.split(":");
            const scopes = scopeParts.join(":");
            if (!clientId || secret.length < 24) ctx.addIssue({ code: "custom", message: "each client needs an id and a secret of at least 24 characters" });
            return { clientId, secret, scopes: scopes.split(" ").filter(Boolean) };
          }),
      ),
    RATE_LIMIT_LOGIN_PER_IP_EMAIL: z.coerce.number().int().positive().default(10),
    RATE_LIMIT_LOGIN_PER_IP: z.coerce.number().int().positive().default(100),
    /** Login attempts on one account (from networks it has not logged in from) before each further one waits 1 s, 2 s, 4 s, ... up to 15 min. */
    RATE_LIMIT_LOGIN_PER_ACCOUNT: z.coerce.number().int().positive().default(5),
    RATE_LIMIT_REGISTER_PER_IP: z.coerce.number().int().positive().default(20),
    RATE_LIMIT_FORGOT_PER_EMAIL: z.coerce.number().int().positive().default(3),
    /** Encrypts the token signing keys at rest in Postgres (32+ characters); required in production. */
    AUTH_KEY_ENCRYPTION_SECRET: z.string().min(32).optional(),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === "production" && !env.AUTH_KEY_ENCRYPTION_SECRET) {
      ctx.addIssue({ code: "custom", path: ["AUTH_KEY_ENCRYPTION_SECRET"], message: "is required in production (32+ characters)" });
    }
  });

export type AuthEnv = z.infer<typeof authEnv>;
