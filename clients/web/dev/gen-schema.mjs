// Regenerates the copies of the server's order schema that the web client
// keeps: tests/unit/fixtures/orders-schema.json (what the unit tests read)
// and src/orderSchema.js (the fallback for a server older than
// `orders.schema`). Run it after changing model/order_schema.c:
//
//   make && node clients/web/dev/gen-schema.mjs [path/to/lanthanide]
//
// It runs `lanthanide schema --json`, which prints the same JSON Schema the
// RPC method `orders.schema` answers.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const web = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = process.argv[2] || join(web, '..', '..', 'build', 'bin', 'lanthanide');
const schema = JSON.parse(execFileSync(bin, ['schema', '--json'], { encoding: 'utf8' }));
const json = `${JSON.stringify(schema, null, 2)}\n`;
writeFileSync(join(web, 'tests', 'unit', 'fixtures', 'orders-schema.json'), json);
writeFileSync(join(web, 'src', 'orderSchema.js'), `// The JSON Schema of one order as the server's \`orders.schema\` answers it,
// copied from \`lanthanide schema --json\` by dev/gen-schema.mjs (do not edit
// by hand; run that script after changing model/order_schema.c). The player
// view uses it only when the server is older than \`orders.schema\` and
// answers \`unknown_method\` (such a server knows fewer orders: it refuses
// the others with a message naming the field).
export const FALLBACK_SCHEMA = ${JSON.stringify(schema, null, 2)};
`);
console.log(`wrote ${schema.oneOf.length} order types`);
