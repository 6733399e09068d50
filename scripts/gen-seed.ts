// `npm run gen:seed`: writes supabase/seed.sql from the demo program in
// functions/node/demo.ts (the one source of `npm start -- --demo` and the seed file).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../functions/node/migrate.ts';
import { seedFileText } from '../functions/node/demo.ts';

export const SEED_FILE = path.join(ROOT, 'supabase/seed.sql');

writeFileSync(SEED_FILE, seedFileText());
console.log(`wrote ${path.relative(process.cwd(), SEED_FILE)}`);
