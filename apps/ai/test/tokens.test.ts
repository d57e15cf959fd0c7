import { describe, expect, test } from "bun:test";
import { countTokens } from "gpt-tokenizer";
import { chatInputTokens, embeddingInputTokens } from "../src/helpers/tokens";

const texts = [
  "Say something about request 123456789",
  "Ein Gasthaus im Wald, über dem Fluss, mit Öfen",
  "山の上の小屋で、雪が静かに降っている。",
  "🏕️🔥🌲 emoji 👩‍👩‍👧‍👦 and <|endoftext|> as text",
  "x".repeat(5000),
  "",
];

/** A special token's name in a caller's text is counted as text. */
const plain = { disallowedSpecial: new Set<string>() };

describe("input tokens", () => {
  test("a chat's bound (UTF-8 bytes) is never below the tokenizer's count (OpenAI's framing; images uncounted; special tokens' names as text)", () => {
    for (const text of texts) {
      const messages = [
        { role: "system", content: "You are terse." },
        { role: "user", content: text },
        { role: "user", content: [{ type: "image_url", image_url: { url: "https://example.com/a.png" } }] },
      ];
      const tokens = chatInputTokens(messages);
      expect(tokens.count()).toBe(3 + 3 + countTokens("You are terse.") + 3 + countTokens(text, plain) + 3);
      expect(tokens.atMost).toBeGreaterThanOrEqual(tokens.count());
    }
  });

  test("embeddings: strings bounded by bytes, token arrays counted as they are", () => {
    const tokens = embeddingInputTokens([...texts.filter(Boolean)]);
    expect(tokens.count()).toBe(texts.reduce((sum, text) => sum + countTokens(text, plain), 0));
    expect(tokens.atMost).toBeGreaterThanOrEqual(tokens.count());
    expect(embeddingInputTokens([[1, 2, 3], [4]])).toMatchObject({ atMost: 4 });
    expect(embeddingInputTokens([[1, 2, 3], [4]]).count()).toBe(4);
  });
});
