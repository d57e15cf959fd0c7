import type { FileDeps } from "../deps";
import type { FileServiceOptions } from "../service";
import { cleanupJob } from "./cleanup";
import { processingJob } from "./processing";

/** The workers the file service runs (none with `jobs: false`: tests that drive them by hand). */
export const jobs = (deps: FileDeps, options: FileServiceOptions) =>
  options.jobs === false || !deps.processing ? [] : [processingJob(deps.processing), cleanupJob(deps)];
