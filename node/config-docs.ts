// Regenerates the configuration tables of docs/operations.md from the schema (node/config-schema.ts):
// `npx node node/config-docs.ts`. Each table sits between <!-- config:COMMAND --> and <!-- /config:COMMAND -->;
// test/unit/node/config.test.ts fails when the doc and the schema disagree.
import { readFileSync, writeFileSync } from 'node:fs';
import { docsTable } from './config-output.ts';
import { CONFIG_SCHEMAS } from './config-schema.ts';

const path = new URL('../docs/operations.md', import.meta.url);
let doc = readFileSync(path, 'utf8');
for (const [command, schema] of Object.entries(CONFIG_SCHEMAS)) {
  const re = new RegExp(`(<!-- config:${command} -->\\n)[\\s\\S]*?(<!-- /config:${command} -->)`);
  if (!re.test(doc)) throw new Error(`docs/operations.md has no <!-- config:${command} --> section`);
  doc = doc.replace(re, (_m, open: string, close: string) => `${open}${docsTable(schema)}\n${close}`);
}
writeFileSync(path, doc);
console.log(`updated ${path.pathname}`);
