// `npm run gen:edge`: writes supabase/functions/_shared/eightfold.js (scripts/edge-bundle.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EDGE_BUNDLE_FILE, edgeBundle } from './edge-bundle.ts';

mkdirSync(path.dirname(EDGE_BUNDLE_FILE), { recursive: true });
writeFileSync(EDGE_BUNDLE_FILE, await edgeBundle());
console.log(`wrote ${path.relative(process.cwd(), EDGE_BUNDLE_FILE)}`);
