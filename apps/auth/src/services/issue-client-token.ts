import { serviceClients } from "@lodge/db/schema";
import { ApiError, newSecretToken, secretTokenHash } from "@lodge/kit";
import { and, eq, isNull } from "drizzle-orm";
import type { Ctx } from "../deps";
import { secretsMatch } from "../helpers/secrets";

/** Client credentials: a short-lived token with `role: service` and the granted scopes. */
export async function issueClientToken({ ctx, input }: { ctx: Ctx; input: { clientId: string; clientSecret: string; scope?: string } }) {
  const { config, keys, limiter, db } = ctx.deps;
  await limiter.hit(`token:${secretTokenHash(input.clientId)}`, config.limits.tokenPerClient);
  const fromEnv = config.clients.find((client) => client.clientId === input.clientId);
  let allowedScopes: string[] | undefined;
  if (fromEnv) {
    if (secretsMatch(input.clientSecret, secretTokenHash(fromEnv.secret))) allowedScopes = fromEnv.scopes;
  } else {
    const [stored] = await db
      .select()
      .from(serviceClients)
      .where(and(eq(serviceClients.clientId, input.clientId), isNull(serviceClients.revokedAt)))
      .limit(1);
    // Compare against something even for unknown clients, so timing does not reveal which exist.
    const matches = secretsMatch(input.clientSecret, stored?.secretHash ?? secretTokenHash(newSecretToken()));
    if (stored && matches) allowedScopes = stored.scopes;
  }
  if (!allowedScopes) throw new ApiError({ code: "UNAUTHORIZED", message: "Invalid client credentials" });
  const requested = input.scope ? input.scope.split(" ").filter(Boolean) : allowedScopes;
  const refused = requested.filter((scope) => !allowedScopes.includes(scope));
  if (refused.length > 0) throw new ApiError({ code: "FORBIDDEN", message: "Scope not allowed for this client", details: { refused } });
  const scope = requested.join(" ");
  const accessToken = await keys.sign(
    { role: "service", scope },
    { subject: input.clientId, issuer: config.issuer, audience: config.audience, ttlSeconds: config.accessTtlSeconds },
  );
  return { accessToken, tokenType: "Bearer" as const, expiresIn: config.accessTtlSeconds, scope };
}
