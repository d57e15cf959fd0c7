import { countTokens, setMergeCacheSize } from "gpt-tokenizer";

/**
 * Called once at boot. The tokenizer remembers the merges of up to 100,000 distinct words by
 * default: every new number or name in the requests adds one, about 50 MB in all. A few thousand
 * keep the common words fast.
 */
export function boundTokenizerMemory() {
  setMergeCacheSize(5_000);
}

/** Tokens of a chat's messages as OpenAI counts them: each message's text plus about 3 tokens of framing, and 3 that prime the answer. */
export function chatInputTokens(messages: unknown): number {
  if (!Array.isArray(messages)) return 0;
  let total = 3;
  for (const message of messages) total += 3 + textTokens(textOf((message as { content?: unknown } | null)?.content));
  return total;
}

/** Tokens of an embeddings input (a string or a list of them; token arrays count as they are). */
export function embeddingInputTokens(input: unknown): number {
  if (typeof input === "string") return textTokens(input);
  if (!Array.isArray(input)) return 0;
  if (input.every((item) => typeof item === "number")) return input.length;
  return input.reduce((sum: number, item) => sum + embeddingInputTokens(item), 0);
}

export function textTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text);
}

/** A message's text: a string, or the text parts of a list of parts (images are not counted). */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (typeof (part as { text?: unknown })?.text === "string" ? (part as { text: string }).text : "")).join(" ");
}
