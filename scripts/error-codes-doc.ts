// Writes docs/error-codes.md from functions/errors.ts, the single source of the codes.
// `npm run docs:errors`; test/engine/catalogue.test.ts fails when the file is stale.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderErrorCodesDoc } from '../functions/error-doc.ts';

const target = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../docs/error-codes.md');
writeFileSync(target, renderErrorCodesDoc());
console.log(`wrote ${target}`);
