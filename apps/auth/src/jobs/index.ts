import type { AuthDeps } from "../deps";
import type { AuthServiceOptions } from "../service";
import { maintenanceJob } from "./maintenance";
import { passwordResetJob } from "./password-reset";

/** The workers auth runs (maintenance can be left off, as most tests do). */
export const jobs = (deps: AuthDeps, options: AuthServiceOptions) => [passwordResetJob(deps), ...(options.maintenance === false ? [] : [maintenanceJob(deps)])];
