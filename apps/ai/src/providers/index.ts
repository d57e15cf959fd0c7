import { createOpenAiProvider } from "./openai";
import { createReplicateProvider } from "./replicate";
import type { Provider, ProviderSettings } from "./types";

/** The kinds of provider a registry may name (`type`), each made from its settings. */
export const providerTypes: Record<string, (settings: ProviderSettings) => Provider> = {
  openai: createOpenAiProvider,
  replicate: (settings) =>
    createReplicateProvider({ name: settings.name, token: settings.apiKey, baseUrl: settings.baseUrl, logger: settings.logger, clock: settings.clock }),
};
