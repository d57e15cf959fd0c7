import { serviceClients } from "@lodge/db/schema";
import { newSecretToken, secretTokenHash } from "@lodge/kit";
import type { Ctx } from "../deps";

/** Stores a new machine client; the secret is shown once and only its hash is kept. */
export async function registerClient({ ctx, input }: { ctx: Ctx; input: { clientId: string; name: string; scopes: string[] } }) {
  const secret = newSecretToken();
  await ctx.deps.db.insert(serviceClients).values({ clientId: input.clientId, name: input.name, scopes: input.scopes, secretHash: secretTokenHash(secret) });
  return { clientId: input.clientId, clientSecret: secret, scopes: input.scopes };
}
