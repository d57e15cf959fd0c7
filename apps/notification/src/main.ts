/** Runs the notification service alone on its port (what compose and the end-to-end tests run). */
import { runMain } from "@lodge/kit";
import { notificationService } from "./service";

await runMain(notificationService);
