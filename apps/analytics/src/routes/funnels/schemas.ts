import { z } from "@hono/zod-openapi";
import { EventStep, FunnelWindow, MAX_FUNNEL_STEPS, PageStep } from "../../helpers/funnel";

const stepFigures = {
  visitors: z.number().int().openapi({ description: "People who reached this step after the ones before it (visitors; users in product funnels)" }),
  conversionRate: z.number().openapi({ description: "Share of the first step's people who reached this step (0 to 1)" }),
  dropOff: z.number().int().openapi({ description: "People of the previous step who did not reach this one" }),
};

export const FunnelResult = (step: z.ZodType) =>
  z.object({
    from: z.string().openapi({ description: "The period's first instant" }),
    to: z.string().openapi({ description: "The instant after the period" }),
    window: z.string(),
    steps: z.array(z.object({ step, ...stepFigures })),
  });

export const siteSteps = z
  .array(z.union([PageStep, EventStep]))
  .min(2)
  .max(MAX_FUNNEL_STEPS);
export const productSteps = z.array(EventStep).min(2).max(MAX_FUNNEL_STEPS);
export const SiteFunnelWindow = z
  .union([z.literal("visit"), FunnelWindow])
  .openapi({ description: "`visit`: every step in one visit; or a duration (`30m`, `1d`) from the first step to the last" });
