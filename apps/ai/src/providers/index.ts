import { createOpenAiProvider, type ProviderSettings } from "./openai";
import type { Provider } from "./types";

/** The kinds of provider a registry may name (`type`), each made from its settings. */
export const providerTypes: Record<string, (settings: ProviderSettings) => Provider> = {
  openai: createOpenAiProvider,
};
