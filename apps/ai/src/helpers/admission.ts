/**
 * A stand-in for the accounting's admission (replaced at merge by the one with keys, limits,
 * budgets and metering): the caller is the user of a bearer token, and every call is admitted.
 */
import { ApiError } from "@lodge/kit";
import type { Context } from "hono";
import type { AiDeps, Ctx } from "../deps";
import type { Admission, Caller, CallPlan } from "./calls";

export async function callerOf(c: Context, deps: AiDeps): Promise<Caller> {
  const principal = await deps.guard.optionalPrincipal(c);
  if (!principal) throw new ApiError({ code: "UNAUTHORIZED", message: "Missing bearer token" });
  if (principal.kind !== "user") throw new ApiError({ code: "FORBIDDEN", message: "Only for user sessions" });
  return { userId: principal.userId, keyId: null, clientId: null, admin: principal.role === "admin" };
}

export async function admit(_ctx: Ctx, _plan: CallPlan): Promise<Admission> {
  return { id: Bun.randomUUIDv7(), headers: {}, settle: async () => {} };
}
