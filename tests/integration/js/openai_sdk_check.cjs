// The official openai npm SDK against a running qinfer server: models, a chat completion, a
// stream reassembled equal to it, and a typed error. Usage: node openai_sdk_check.mjs BASE_URL
// API_KEY MODEL. Prints one JSON line with what it saw; exits non-zero on any failure.
"use strict";
const path = require("path");
const repoRoot = path.resolve(__dirname, "..", "..", "..");
const OpenAI = require(path.join(repoRoot, "scripts", "node", "node_modules", "openai")).default;

async function main() {
  const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const messages = [{ role: "user", content: "Track parcel 77 please." }];

const models = await client.models.list();
const ids = models.data.map((m) => m.id);

const whole = await client.chat.completions.create({ model, messages, max_tokens: 12, seed: 5, temperature: 0.7 });
const stream = await client.chat.completions.create({
  model, messages, max_tokens: 12, seed: 5, temperature: 0.7, stream: true,
  stream_options: { include_usage: true },
});
let text = "";
let usage = null;
let finish = null;
for await (const chunk of stream) {
  if (chunk.usage) usage = chunk.usage;
  for (const choice of chunk.choices) {
    text += (choice.delta.content ?? "") + (choice.delta.reasoning_content ?? "");
    finish = choice.finish_reason ?? finish;
  }
}

let errorType = null;
try {
  await client.chat.completions.create({ model, messages, temperature: "hot" });
} catch (e) {
  errorType = e.constructor.name + ":" + e.status + ":" + (e.param ?? e.error?.param ?? "");
}

const message = whole.choices[0].message;
console.log(JSON.stringify({
  ids,
  whole_text: (message.content ?? "") + (message.reasoning_content ?? ""),
  whole_finish: whole.choices[0].finish_reason,
  whole_usage: whole.usage,
  stream_text: text,
  stream_finish: finish,
  stream_usage: usage,
  error: errorType,
}));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
