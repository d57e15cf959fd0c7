import { countTokens, setMergeCacheSize } from "gpt-tokenizer";

/**
 * Called once at boot. The tokenizer remembers the merges of up to 100,000 distinct words by
 * default: every new number or name in the requests adds one, about 50 MB in all. A few thousand
 * keep the common words fast.
 */
export function boundTokenizerMemory() {
  setMergeCacheSize(5_000);
}

/**
 * A request's input tokens: `atMost`, cheap to know (a text has no more tokens than UTF-8 bytes: a
 * BPE token is at least one byte), which is what admission reserves; and `count()`, the tokenizer's
 * exact count, made only when it is needed (a limit the bound would exceed, an upstream that gave no
 * usage) and then kept. Tokenizing every request cost more CPU than anything else the gateway does
 * to a request's body.
 */
export type InputTokens = { atMost: number; count(): number };

/** A chat's messages as OpenAI counts them: each message's text plus about 3 tokens of framing, and 3 that prime the answer. */
export function chatInputTokens(messages: unknown): InputTokens {
  const texts = Array.isArray(messages) ? messages.map((message) => textOf((message as { content?: unknown } | null)?.content)) : [];
  return inputTokensOf(texts, Array.isArray(messages) ? 3 + 3 * texts.length : 0);
}

/** A prompt's text (an image's). */
export const promptInputTokens = (prompt: string): InputTokens => inputTokensOf([prompt], 0);

/** An embeddings input: a string or a list of them (token arrays count as they are). */
export function embeddingInputTokens(input: unknown): InputTokens {
  const texts: string[] = [];
  const tokens = collectEmbeddingInput(input, texts);
  return inputTokensOf(texts, tokens);
}

/** Token arrays' length, with the texts put in `texts`. */
function collectEmbeddingInput(input: unknown, texts: string[]): number {
  if (typeof input === "string") {
    texts.push(input);
    return 0;
  }
  if (!Array.isArray(input)) return 0;
  if (input.every((item) => typeof item === "number")) return input.length;
  return input.reduce((sum: number, item) => sum + collectEmbeddingInput(item, texts), 0);
}

/** `texts`' tokens plus `fixed` ones. */
function inputTokensOf(texts: string[], fixed: number): InputTokens {
  let counted: number | undefined;
  return {
    atMost: texts.reduce((sum, text) => sum + Buffer.byteLength(text), fixed),
    count: () => {
      counted ??= texts.reduce((sum, text) => sum + textTokens(text), fixed);
      return counted;
    },
  };
}

/** A caller's text is text: `<|endoftext|>` in it counts as the characters it is (the tokenizer's default throws on it). */
const asPlainText = { disallowedSpecial: new Set<string>() };

export function textTokens(text: string): number {
  return text.length === 0 ? 0 : countTokens(text, asPlainText);
}

/** A message's text: a string, or the text parts of a list of parts (images are not counted). */
function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => (typeof (part as { text?: unknown })?.text === "string" ? (part as { text: string }).text : "")).join(" ");
}
