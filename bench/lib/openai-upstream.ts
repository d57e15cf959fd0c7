/** bench/ai.ts's upstream: the AI tests' fake OpenAI API (apps/ai/test/fake-openai.ts) in a process of its own on PORT, keeping no request log. */
import { startFakeOpenAi } from "../../apps/ai/test/fake-openai";

startFakeOpenAi({ port: Number(process.env.PORT), apiKey: process.env.UPSTREAM_API_KEY, record: false });
