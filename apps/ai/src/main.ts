/** Runs the AI service alone on its port (what compose and the end-to-end tests run). */
import { runMain } from "@lodge/kit";
import { aiService } from "./service";

await runMain(aiService);
