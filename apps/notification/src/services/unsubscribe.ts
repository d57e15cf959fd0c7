import type { Ctx } from "../deps";
import { wasErased } from "../helpers/recipients";
import type { Unsubscription } from "../helpers/unsubscribe";
import { readUnsubscribeToken } from "./read-unsubscribe-token";
import { setPreferences } from "./set-preferences";

/**
 * Turns off email for the token's categories (the same choices as PUT /notifications/preferences).
 * Idempotent; a user whose data was erased gets nothing stored again.
 */
export async function unsubscribe({ ctx, input }: { ctx: Ctx; input: { token: string } }) {
  const link = await readUnsubscribeToken({ ctx, input });
  if (!(await wasErased(ctx.deps.db, link.userId))) await optOut(ctx, link);
  return link;
}

async function optOut(ctx: Ctx, { userId, categories }: Unsubscription) {
  await setPreferences({ ctx, input: { userId, categories: Object.fromEntries(categories.map((category) => [category, { email: false }])) } });
}
