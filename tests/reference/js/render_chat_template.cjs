// Oracle: renders chat-template requests with @huggingface/jinja (npm, pinned in
// scripts/node/package.json). Usage: node render_chat_template.cjs TEMPLATE_FILE SPECIAL_TOKENS_JSON < requests.jsonl
// Prints one JSON line per request: the rendered string, or {"error": message}.
// Requests are normalised as transformers' apply_chat_template does: None-valued message keys are
// dropped, reasoning fields are aliased, tools absent means tools = null, and the special tokens
// are passed as variables.
"use strict";
const fs = require("fs");
const path = require("path");

const repoRoot = path.resolve(__dirname, "..", "..", "..");
const { Template } = require(path.join(repoRoot, "scripts", "node", "node_modules", "@huggingface", "jinja"));

const [templateFile, specialTokensJson] = process.argv.slice(2);
const template = new Template(fs.readFileSync(templateFile, "utf8"));
const specialTokens = JSON.parse(specialTokensJson || "{}");

const lines = fs.readFileSync(0, "utf8").split("\n").filter((line) => line.trim() !== "");
const out = [];
for (const line of lines) {
  const request = JSON.parse(line);
  const messages = request.messages.map((raw) => {
    const message = Object.fromEntries(Object.entries(raw).filter(([, value]) => value !== null));
    // transformers' _alias_reasoning_fields: the first reasoning field set fills both names.
    const field = ["reasoning_content", "thinking", "reasoning"].find((name) => name in message);
    if (field === undefined) return message;
    return { thinking: message[field], ...message, reasoning_content: message[field] };
  });
  const variables = { ...specialTokens, messages, tools: request.tools ?? null, documents: null,
                      add_generation_prompt: request.add_generation_prompt ?? false };
  for (const [key, value] of Object.entries(request)) {
    if (!["messages", "tools", "add_generation_prompt"].includes(key)) variables[key] = value;
  }
  try {
    out.push(JSON.stringify(template.render(variables)));
  } catch (error) {
    out.push(JSON.stringify({ error: String(error && error.message ? error.message : error) }));
  }
}
process.stdout.write(out.join("\n") + "\n");
