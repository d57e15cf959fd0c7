import type { AiDeps } from "../deps";
import { aiJobJob } from "./ai-job";

/** The workers the service runs (none with `jobs: false`: tests that look at queued jobs). */
export const jobs = (deps: AiDeps, options: { jobs?: boolean }) => (options.jobs === false ? [] : [aiJobJob(deps)]);
