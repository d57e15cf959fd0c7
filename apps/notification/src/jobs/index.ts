import { sendChannels } from "../catalog/index";
import type { NotificationDeps } from "../deps";
import { deliveryJob } from "./delivery";
import { digestJob } from "./digest";
import { sweepJob } from "./sweep";
import { triggerJob } from "./trigger";
import { webhookDeliveryJob } from "./webhook-delivery";
import { webhookRetentionJob } from "./webhook-retention";

/** The workers the service runs (none with `jobs: false`: tests that drive deliveries by hand). */
export const jobs = (deps: NotificationDeps, options: { jobs?: boolean }) =>
  options.jobs === false
    ? []
    : [
        ...sendChannels.map((channel) => deliveryJob(deps, channel)),
        digestJob(deps),
        sweepJob(deps),
        triggerJob(deps),
        webhookDeliveryJob(deps),
        webhookRetentionJob(deps),
      ];
