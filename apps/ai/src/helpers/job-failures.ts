import { ApiError } from "@lodge/kit";
import { ProviderError } from "../providers/types";

/** What a failed job's row says about the failure: never a stack, a provider's secret or an image URL. */
export type JobError = { code: string; message: string; details?: unknown };

/** Budgets do not come back within a job's retries: a job refused by one fails at once. */
const budgetLimits = new Set(["daily_budget", "monthly_budget"]);

/**
 * An image job that failed after some of its images were stored as the user's files: final (a
 * retry would store them twice), and the job's error lists them, so none is left unaccounted for.
 */
export class PartlyStored extends Error {
  constructor(
    readonly failure: unknown,
    readonly stored: Record<string, unknown>[],
  ) {
    super("Some images were stored before the job failed");
    this.name = "PartlyStored";
  }
}

/** Whether another attempt may succeed: a provider or Lodge service briefly down or busy, a per-minute limit. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof ProviderError) return error.options.retryable;
  if (error instanceof ApiError) {
    if (error.code === "UNAVAILABLE") return true;
    const limit = (error.details as { limit?: string } | undefined)?.limit;
    return error.code === "RATE_LIMITED" && !budgetLimits.has(limit ?? "");
  }
  return false;
}

/** The failure as the job's row keeps it. */
export function jobErrorOf(error: unknown): JobError {
  if (error instanceof PartlyStored) {
    const failure = jobErrorOf(error.failure);
    return { ...failure, details: { ...(failure.details as object | undefined), storedImages: error.stored } };
  }
  if (error instanceof ApiError) return { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) };
  if (error instanceof ProviderError) {
    // The provider's answer (or none): its HTTP status when there was one.
    const status = error.options.status;
    return { code: "UPSTREAM_ERROR", message: error.message, ...(status === null ? {} : { details: { status } }) };
  }
  return { code: "INTERNAL", message: "The job failed" };
}
