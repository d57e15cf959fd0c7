import type { AnalyticsDeps } from "../deps";
import type { AnalyticsServiceOptions } from "../service";
import { partitionsJob } from "./partitions";
import { rollupsJob } from "./rollups";

/** The workers the service runs (none with `jobs: false`: tests that look at dirty marks and roll up by hand). */
export const jobs = (deps: AnalyticsDeps, options: AnalyticsServiceOptions) => (options.jobs === false ? [] : [rollupsJob(deps), partitionsJob(deps)]);
