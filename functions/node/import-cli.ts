// `npm run import -- [--users] [--dry-run] [--continue] [--quiet] <file.csv>`: purchases (or users)
// from a CSV file into DATABASE_URL, with a progress bar, every bad line reported with its
// line number and code, and a summary (functions/node/import.ts, docs/import.md).
// Exit status: 0 all written (or a clean dry run), 1 some lines bad, 2 nothing to do (usage,
// configuration, a file or header that cannot be read), 3 the database failed (nothing of
// the open transaction was written).
import { parseArgs } from 'node:util';
import postgres from 'postgres';
import cliProgress from 'cli-progress';
import { loadConfig } from './config.ts';
import { importPurchases, importUsers, report, ImportFileError, type ImportOptions } from './import.ts';

const USAGE = `Usage: npm run import -- [--users] [--dry-run] [--continue] [--quiet] <file.csv>

  purchases (default)  header: buyer_id,amount,external_ref[,profit][,currency][,purchased_at]
  --users              header: any of user_id,email,display_name,referral_code,referrer_id
  --dry-run            check every line against the database, write nothing
  --continue           write the good lines even if some are bad (default: any bad line, nothing written)
  --chunk-size N       purchases per database call, 1 to 10000 (default 10000)
  --quiet              an import of history: tell nobody (no live event, notification or webhook)

Imports into DATABASE_URL. See docs/import.md.`;

// biome-ignore lint/suspicious/noImplicitAnyLet: TypeScript types it from the parseArgs call below (an evolving let).
let args;
try {
  args = parseArgs({
    allowPositionals: true,
    options: {
      users: { type: 'boolean', default: false },
      'dry-run': { type: 'boolean', default: false },
      continue: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'chunk-size': { type: 'string', default: '10000' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
} catch (err) {
  console.error(`${(err as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (args.values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (args.positionals.length !== 1) {
  console.error(`Give exactly one CSV file.\n\n${USAGE}`);
  process.exit(2);
}
const file = args.positionals[0]!;
const chunkSize = Number(args.values['chunk-size']);
if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 10_000) {
  console.error(`--chunk-size must be a whole number from 1 to 10000.\n\n${USAGE}`);
  process.exit(2);
}

let databaseUrl: string | undefined;
try {
  databaseUrl = loadConfig().DATABASE_URL;
} catch (err) {
  console.error((err as Error).message);
  process.exit(2);
}
if (!databaseUrl) {
  console.error(
    'Set DATABASE_URL to the database to import into, e.g. DATABASE_URL=postgres://postgres:…@db.<project-ref>.supabase.co:5432/postgres npm run import -- purchases.csv',
  );
  process.exit(2);
}

const bar = new cliProgress.SingleBar(
  { format: `  ${args.values.users ? 'users' : 'purchases'} [{bar}] {percentage}% of ${file}`, hideCursor: true, stream: process.stderr },
  cliProgress.Presets.shades_classic,
);
let started = false;
const opts: ImportOptions = {
  dryRun: args.values['dry-run'],
  continueOnError: args.values.continue,
  quiet: args.values.quiet,
  chunkSize,
  onProgress: (bytes, total) => {
    if (!started) {
      bar.start(Math.max(total, 1), 0);
      started = true;
    }
    bar.update(Math.min(bytes, total));
  },
};

const sql = postgres(databaseUrl, { max: 1, onnotice: () => {} });
let status = 0;
try {
  const summary = await (args.values.users ? importUsers(sql, file, opts) : importPurchases(sql, file, opts));
  if (started) bar.stop();
  for (const line of report(file, summary)) console.log(line);
  status = summary.bad.length ? 1 : 0;
} catch (err) {
  if (started) bar.stop();
  if (err instanceof ImportFileError) {
    console.error(err.message);
    status = 2;
  } else {
    const e = err as { code?: string; message?: string };
    console.error(`The database failed${e.code ? ` (${e.code})` : ''}: ${e.message ?? String(err)}`);
    console.error(
      args.values.continue && !args.values['dry-run']
        ? 'Chunks committed before the failure stay written; run the same file again to finish (lines already imported are replays).'
        : 'Nothing was written.',
    );
    status = 3;
  }
} finally {
  await sql.end({ timeout: 5 });
}
process.exit(status);
