import { z } from "@lodge/config";
import type { Logger } from "@lodge/kit";
import type { AiEnv } from "../env";
import { providerTypes } from "../providers/index";
import type { Provider, ProviderSettings } from "../providers/types";
import type { Pricing } from "./calls";
import prices from "./prices.json";

/** One place an alias can be served from, in the order tried. */
export type Deployment = {
  /** `provider/model`: names its circuit breaker, its metrics and its usage records. */
  id: string;
  provider: Provider;
  /** The model's name at the provider. */
  model: string;
  pricing: Pricing;
  /** False when the model's price is unknown (simple mode, a model not in the price table): it costs 0. */
  priced: boolean;
  maxOutputTokens?: number;
};

/** A public model name and where it is served. */
export type ModelAlias = { name: string; deployments: Deployment[]; priced: boolean };

/** The models this instance serves: from a registry file, from the upstream's list (simple mode), or none. */
export type Registry = {
  mode: "file" | "simple" | "none";
  list(): Promise<ModelAlias[]>;
  find(name: string): Promise<ModelAlias | undefined>;
};

const price = z.number().nonnegative().max(100_000);
const RegistryFile = z.strictObject({
  /** Providers by name; `openai` and `replicate` exist without being listed, from OPENAI_* and REPLICATE_* variables. */
  providers: z
    .record(
      z.string().min(1),
      z.strictObject({
        type: z.enum(Object.keys(providerTypes) as [string, ...string[]]),
        baseUrl: z.url({ protocol: /^https?$/ }).optional(),
        /** The environment variable holding its key (never the key itself). */
        apiKeyEnv: z.string().regex(/^[A-Z][A-Z0-9_]*$/),
      }),
    )
    .default({}),
  models: z.record(
    z.string().min(1).max(256),
    z
      .array(
        z.strictObject({
          provider: z.string().min(1),
          model: z.string().min(1),
          inputPricePer1M: price,
          outputPricePer1M: price,
          cachedInputPricePer1M: price.optional(),
          maxOutputTokens: z.number().int().positive().optional(),
        }),
      )
      .min(1),
  ),
});
export type RegistryFile = z.infer<typeof RegistryFile>;

type BuiltinPrice = { inputPer1M: number; outputPer1M: number; cachedInputPer1M?: number };
const builtinPrices: Record<string, BuiltinPrice> = prices.models;

/** The built-in price of an OpenAI model id, a dated one (`gpt-4o-2024-08-06`) priced as its undated name. */
export function builtinPriceOf(model: string): Pricing | undefined {
  return builtinPrices[model] ?? builtinPrices[model.replace(/-\d{4}-\d{2}-\d{2}$/, "")];
}

/**
 * The registry from AI_REGISTRY_FILE (JSON or YAML, checked at boot: a wrong file stops the service
 * with what is wrong), else simple mode from OPENAI_API_KEY, else none. Says in the log which.
 */
export async function loadRegistry(env: AiEnv, logger: Logger, clock: () => Date): Promise<Registry> {
  const common = { connectTimeoutMs: env.AI_CONNECT_TIMEOUT_MS, logger, clock };
  if (env.AI_REGISTRY_FILE) {
    const file = await readRegistryFile(env.AI_REGISTRY_FILE);
    const registry = fileRegistry(file, env, common);
    logger.info({ file: env.AI_REGISTRY_FILE, models: Object.keys(file.models) }, "ai models: registry file");
    return registry;
  }
  if (env.OPENAI_API_KEY) {
    const provider = providerTypes.openai?.({ name: "openai", baseUrl: env.OPENAI_BASE_URL, apiKey: env.OPENAI_API_KEY, ...common });
    if (!provider) throw new Error("the openai provider is missing");
    logger.info({ baseUrl: env.OPENAI_BASE_URL }, "ai models: simple mode (every model OPENAI_BASE_URL lists)");
    return simpleRegistry(provider, logger);
  }
  logger.warn("ai models: none (set AI_REGISTRY_FILE, or OPENAI_API_KEY for simple mode)");
  return { mode: "none", list: async () => [], find: async () => undefined };
}

async function readRegistryFile(path: string): Promise<RegistryFile> {
  const text = await Bun.file(path).text();
  const parsed = /\.ya?ml$/i.test(path) ? Bun.YAML.parse(text) : JSON.parse(text);
  const result = RegistryFile.safeParse(parsed);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
    throw new Error(`AI_REGISTRY_FILE ${path} is not a valid registry: ${problems}`);
  }
  return result.data;
}

function fileRegistry(file: RegistryFile, env: AiEnv, common: Omit<ProviderSettings, "name" | "baseUrl" | "apiKey">): Registry {
  const settings = {
    openai: { type: "openai", baseUrl: env.OPENAI_BASE_URL, apiKeyEnv: "OPENAI_API_KEY" },
    replicate: { type: "replicate", baseUrl: env.REPLICATE_BASE_URL, apiKeyEnv: "REPLICATE_API_TOKEN" },
    ...Object.fromEntries(
      Object.entries(file.providers).map(([name, provider]) => [
        name,
        { type: provider.type, baseUrl: provider.baseUrl ?? env.OPENAI_BASE_URL, apiKeyEnv: provider.apiKeyEnv },
      ]),
    ),
  } as Record<string, { type: string; baseUrl: string; apiKeyEnv: string }>;
  const providers = new Map<string, Provider>();
  const providerNamed = (name: string, alias: string) => {
    const found = providers.get(name);
    if (found) return found;
    const setting = settings[name];
    const make = setting && providerTypes[setting.type];
    if (!setting || !make) throw new Error(`AI_REGISTRY_FILE: model ${alias} names provider ${name}, which is neither listed nor built in`);
    const apiKey = variableOf(env, setting.apiKeyEnv);
    if (!apiKey) throw new Error(`AI_REGISTRY_FILE: provider ${name} (model ${alias}) has no key: set ${setting.apiKeyEnv}`);
    const provider = make({ name, baseUrl: setting.baseUrl, apiKey, ...common });
    providers.set(name, provider);
    return provider;
  };
  const aliases = new Map(
    Object.entries(file.models).map(([name, deployments]) => [
      name,
      {
        name,
        priced: true,
        deployments: deployments.map((deployment) => ({
          id: `${deployment.provider}/${deployment.model}`,
          provider: providerNamed(deployment.provider, name),
          model: deployment.model,
          pricing: {
            inputPer1M: deployment.inputPricePer1M,
            outputPer1M: deployment.outputPricePer1M,
            ...(deployment.cachedInputPricePer1M === undefined ? {} : { cachedInputPer1M: deployment.cachedInputPricePer1M }),
          },
          priced: true,
          maxOutputTokens: deployment.maxOutputTokens,
        })),
      },
    ]),
  );
  const list = [...aliases.values()];
  return { mode: "file", list: async () => list, find: async (name) => aliases.get(name) };
}

/** A provider key named in the registry: one of the service's own variables, else the process environment. */
function variableOf(env: AiEnv, name: string): string | undefined {
  const own = (env as Record<string, unknown>)[name];
  return typeof own === "string" ? own : process.env[name];
}

/**
 * Every model the upstream lists, under its own name, priced from the built-in table (0 when
 * unknown). The list is fetched once; if the upstream cannot be reached it is asked again on the
 * next call, so a gateway started before its upstream recovers by itself.
 */
function simpleRegistry(provider: Provider, logger: Logger): Registry {
  let loading: Promise<Map<string, ModelAlias>> | undefined;
  const load = () => {
    loading ??= provider.models(AbortSignal.timeout(10_000)).then(
      (ids) => new Map(ids.map((id) => [id, simpleAlias(provider, id)])),
      (error: unknown) => {
        loading = undefined;
        logger.warn({ err: error }, "ai models: the upstream's model list could not be read");
        throw error;
      },
    );
    return loading;
  };
  load().catch(() => undefined);
  return { mode: "simple", list: async () => [...(await load()).values()], find: async (name) => (await load()).get(name) };
}

function simpleAlias(provider: Provider, model: string): ModelAlias {
  const pricing = builtinPriceOf(model);
  const deployment = { id: `${provider.name}/${model}`, provider, model, pricing: pricing ?? { inputPer1M: 0, outputPer1M: 0 }, priced: Boolean(pricing) };
  return { name: model, deployments: [deployment], priced: deployment.priced };
}
