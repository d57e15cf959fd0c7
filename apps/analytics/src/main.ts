/** Runs the analytics service alone on its port (what compose and the end-to-end tests run). */
import { runMain } from "@lodge/kit";
import { analyticsService } from "./service";

await runMain(analyticsService);
