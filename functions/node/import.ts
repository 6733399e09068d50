// `npm run import`: purchases or users from a CSV file into the database, through the same
// SQL entry points as the API (eightfold.record_purchases, eightfold.create_user) and the
// same item checks as the HTTP routes (BatchPurchase, NewUser). docs/import.md.
//
// Every bad line (a line the CSV parser cannot read, a field that is not of its shape, an
// item the database refuses) is reported with its line number and code. Without
// `continue`, the whole file is one transaction that is committed only when no line is
// bad; with `continue`, each chunk is committed as it goes and the good lines are written.
// A dry run is one transaction rolled back at the end, so the database's own rules are
// checked and nothing is written.
import { createReadStream, statSync } from 'node:fs';
import { parse, type CsvError, type Options } from 'csv-parse';
import type { JSONValue, Sql, TransactionSql } from 'postgres';
import { BatchPurchase, NewUser, MAX_BATCH } from '../routes/ingest.ts';
import { DB_ERRORS } from '../errors.ts';

export const PURCHASE_COLUMNS = ['buyer_id', 'amount', 'external_ref', 'profit', 'currency', 'purchased_at'] as const;
export const PURCHASE_REQUIRED = ['buyer_id', 'amount', 'external_ref'] as const;
export const USER_COLUMNS = ['user_id', 'email', 'display_name', 'referral_code', 'referrer_id'] as const;

export interface ImportOptions {
  /** Check every line in a transaction that is rolled back: nothing is written. */
  dryRun?: boolean;
  /** Write the good lines even when some are bad (each chunk committed as it goes). */
  continueOnError?: boolean;
  /** Items per database call (purchases), at most MAX_BATCH. */
  chunkSize?: number;
  /**
   * An import of history: the ledger, rollups and running totals are written, and nobody is
   * told (no live event, notification or webhook; eightfold.quiet_import).
   */
  quiet?: boolean;
  /** Called as the file is read: bytes read so far, of the file's size. */
  onProgress?: (bytes: number, total: number) => void;
}

export interface BadLine {
  line: number;
  /** csv_malformed, validation_failed, or the database's EFxxx code. */
  code: string;
  /** The API's name for a database code (external_ref_conflict, ...). */
  name?: string;
  field?: string;
  message: string;
}

export interface ImportSummary {
  kind: 'purchases' | 'users';
  lines: number;
  created: number;
  replayed: number;
  refused: number;
  bad: BadLine[];
  /** Whether what was created is in the database now. */
  written: 'all' | 'good lines' | 'nothing';
  dryRun: boolean;
}

/** The file cannot be imported at all (no such file, a header that is not ours). */
export class ImportFileError extends Error {}

const ROLLBACK = Symbol('rollback');

interface Row {
  line: number;
  values: Record<string, string>;
}

/**
 * Reads a CSV file record by record: the header checked against the columns allowed, each
 * record with the line it starts on, unreadable records reported as csv_malformed.
 */
async function* readCsv(
  file: string,
  columns: readonly string[],
  required: readonly string[],
  bad: BadLine[],
  onProgress?: (bytes: number, total: number) => void,
): AsyncGenerator<Row> {
  let total: number;
  try {
    total = statSync(file).size;
  } catch {
    throw new ImportFileError(`cannot read ${file}: no such file`);
  }
  let header: string[] | undefined;
  let lastLine = 0;
  let lastEmpty = 0;
  const startOf = (info: { lines: number; empty_lines: number }) => lastLine + 1 + (info.empty_lines - lastEmpty);
  const seen = (info: { lines: number; empty_lines: number }) => {
    lastLine = info.lines;
    lastEmpty = info.empty_lines;
  };
  // Lines are counted as the parser goes (on_record and 'skip' run in its order, ahead of
  // the loop below, which reads records from its buffer).
  const options: Options<{ record: string[]; line: number; bytes: number }, string[]> = {
    bom: true,
    skip_empty_lines: true,
    trim: true,
    skip_records_with_error: true,
    on_record: (record, info) => {
      const line = startOf(info);
      seen(info);
      return { record, line, bytes: info.bytes };
    },
  };
  const parser = createReadStream(file).pipe(parse(options as unknown as Options));
  parser.on('skip', (err: CsvError & { lines: number; empty_lines: number }) => {
    bad.push({ line: startOf(err), code: 'csv_malformed', message: err.message });
    seen(err);
  });
  try {
    for await (const { record, line, bytes } of parser as AsyncIterable<{ record: string[]; line: number; bytes: number }>) {
      onProgress?.(bytes, total);
      if (!header) {
        header = record.map((h) => h.trim().toLowerCase());
        const unknown = header.filter((h) => !columns.includes(h));
        const missing = required.filter((c) => !header!.includes(c));
        const twice = header.filter((h, i) => header!.indexOf(h) !== i);
        if (unknown.length || missing.length || twice.length) {
          throw new ImportFileError(
            `${file}: the header (line ${line}) must name the columns ${columns.join(',')}` +
              (required.length ? ` (${required.join(', ')} required)` : '') +
              (unknown.length ? `; unknown: ${unknown.join(', ')}` : '') +
              (missing.length ? `; missing: ${missing.join(', ')}` : '') +
              (twice.length ? `; twice: ${twice.join(', ')}` : ''),
          );
        }
        continue;
      }
      const values: Record<string, string> = {};
      header.forEach((h, i) => {
        if (record[i] !== undefined && record[i] !== '') values[h] = record[i]!;
      });
      yield { line, values };
    }
  } catch (err) {
    if (err instanceof ImportFileError) throw err;
    const e = err as CsvError & { lines?: number; empty_lines?: number };
    if (typeof e.code !== 'string' || !e.code.startsWith('CSV_')) throw err;
    // A parse error that ends the file: the rest cannot be read.
    bad.push({ line: lastLine + 1, code: 'csv_malformed', message: `${e.message} (the rest of the file is not read)` });
  } finally {
    parser.destroy();
  }
  if (!header) throw new ImportFileError(`${file}: empty file, expected a header line (${columns.join(',')})`);
  onProgress?.(total, total);
}

function invalid(line: number, issue: { path: PropertyKey[]; message: string; code: string; keys?: string[] }): BadLine {
  const field = issue.path.map(String).join('.') || issue.keys?.[0];
  return { line, code: 'validation_failed', ...(field ? { field } : {}), message: issue.message };
}

function dbBad(line: number, code: string, field: string | null, message: string | null): BadLine {
  const info = DB_ERRORS[code];
  return { line, code, ...(info ? { name: info.code } : {}), ...(field ? { field } : {}), message: message ?? info?.title ?? code };
}

/** Runs `work` in one transaction (committed only if `commit` says so) or straight on the pool. */
async function run<T>(
  sql: Sql,
  oneTransaction: boolean,
  work: (q: Sql | TransactionSql) => Promise<T>,
  commit: (result: T) => boolean,
): Promise<{ result: T; committed: boolean }> {
  if (!oneTransaction) return { result: await work(sql), committed: true };
  let result!: T;
  let committed = false;
  try {
    await sql.begin(async (tx) => {
      result = await work(tx);
      if (!commit(result)) throw ROLLBACK;
    });
    committed = true;
  } catch (err) {
    if (err !== ROLLBACK) throw err;
  }
  return { result, committed };
}

function finish(
  kind: ImportSummary['kind'],
  counts: Omit<ImportSummary, 'kind' | 'written' | 'dryRun'>,
  committed: boolean,
  opts: ImportOptions,
): ImportSummary {
  counts.bad.sort((a, b) => a.line - b.line);
  const written = opts.dryRun || !committed ? 'nothing' : counts.bad.length ? 'good lines' : 'all';
  return { kind, ...counts, written, dryRun: !!opts.dryRun };
}

/** Purchases: chunks of up to 10,000 items, each settled per item by eightfold.record_purchases. */
export async function importPurchases(sql: Sql, file: string, opts: ImportOptions = {}): Promise<ImportSummary> {
  const chunkSize = Math.min(opts.chunkSize ?? MAX_BATCH, MAX_BATCH);
  const oneTransaction = !!opts.dryRun || !opts.continueOnError;
  const { result, committed } = await run(
    sql,
    oneTransaction,
    async (q) => {
      const c = { lines: 0, created: 0, replayed: 0, refused: 0, bad: [] as BadLine[] };
      let chunk: { line: number; item: JSONValue }[] = [];
      const flush = async () => {
        if (chunk.length === 0) return;
        const rows = await q<
          {
            item: number;
            outcome: 'created' | 'replayed' | 'refused';
            error_code: string | null;
            error_field: string | null;
            error_message: string | null;
          }[]
        >`
          select item, outcome, error_code, error_field, error_message
          from ${opts.quiet ? q`eightfold.record_purchases_quiet` : q`eightfold.record_purchases`}(${q.json(chunk.map((x) => x.item))})`;
        for (const r of rows) {
          c[r.outcome]++;
          if (r.outcome === 'refused') c.bad.push(dbBad(chunk[r.item - 1]!.line, r.error_code!, r.error_field, r.error_message));
        }
        chunk = [];
      };
      for await (const { line, values } of readCsv(file, PURCHASE_COLUMNS, PURCHASE_REQUIRED, c.bad, opts.onProgress)) {
        c.lines++;
        const parsed = BatchPurchase.safeParse(values);
        if (!parsed.success) {
          c.refused++;
          c.bad.push(invalid(line, parsed.error.issues[0]!));
          continue;
        }
        chunk.push({ line, item: parsed.data });
        if (chunk.length >= chunkSize) await flush();
      }
      await flush();
      const malformed = c.bad.filter((b) => b.code === 'csv_malformed').length;
      c.lines += malformed;
      c.refused += malformed;
      return c;
    },
    (c) => !opts.dryRun && c.bad.length === 0,
  );
  return finish('purchases', result, committed, opts);
}

/**
 * Users, one at a time in file order, so that a row may name as its referrer a user of an
 * earlier row (by referrer_id) as well as anyone already in the database (by referral_code
 * or referrer_id). A row whose user already exists (same user_id, or same email when no
 * user_id is given) with the same email and referrer is a replay.
 */
export async function importUsers(sql: Sql, file: string, opts: ImportOptions = {}): Promise<ImportSummary> {
  const oneTransaction = !!opts.dryRun || !opts.continueOnError;
  const { result, committed } = await run(
    sql,
    oneTransaction,
    async (q) => {
      const c = { lines: 0, created: 0, replayed: 0, refused: 0, bad: [] as BadLine[] };
      const refuse = (b: BadLine) => {
        c.refused++;
        c.bad.push(b);
      };
      for await (const { line, values } of readCsv(file, USER_COLUMNS, [], c.bad, opts.onProgress)) {
        c.lines++;
        const { referrer_id: referrerId, ...rest } = values;
        const parsed = NewUser.safeParse(rest);
        if (!parsed.success) {
          refuse(invalid(line, parsed.error.issues[0]!));
          continue;
        }
        if (referrerId !== undefined && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(referrerId)) {
          refuse({ line, code: 'validation_failed', field: 'referrer_id', message: 'a user id (uuid)' });
          continue;
        }
        if (referrerId !== undefined && parsed.data.referral_code !== undefined) {
          refuse({ line, code: 'validation_failed', field: 'referrer_id', message: 'give referral_code or referrer_id, not both' });
          continue;
        }
        const u = parsed.data;
        try {
          // The referrer: by id (a row above, or anyone) or by code, resolved to a code for create_user.
          let code = u.referral_code ?? null;
          let referrer: string | null = null;
          if (referrerId !== undefined) {
            const [r] = await q<{ user_id: string; referral_code: string }[]>`
              select user_id, referral_code from eightfold.profiles where user_id = ${referrerId}`;
            if (!r) {
              refuse(dbBad(line, 'EF107', 'referrer_id', `no user with id ${referrerId}`));
              continue;
            }
            code = r.referral_code;
            referrer = r.user_id;
          }
          const [existing] = await q<{ user_id: string; email: string | null; referrer_id: string | null; code_referrer: string | null }[]>`
            select u.id as user_id, u.email, p.referrer_id,
                   (select x.user_id from eightfold.profiles x where x.referral_code = eightfold.normalise_referral_code(${code})) as code_referrer
            from auth.users u left join eightfold.profiles p on p.user_id = u.id
            where case when ${u.user_id ?? null}::uuid is not null then u.id = ${u.user_id ?? null}::uuid
                       else lower(u.email) = lower(${u.email ?? null}) end`;
          if (existing) {
            const sameEmail = u.email === undefined || (existing.email ?? '').toLowerCase() === u.email.toLowerCase();
            const wanted = referrer ?? existing.code_referrer;
            const sameReferrer = code === null || (wanted !== null && existing.referrer_id === wanted);
            if (sameEmail && sameReferrer) {
              c.replayed++;
            } else {
              refuse(
                dbBad(
                  line,
                  'EF111',
                  u.user_id ? 'user_id' : 'email',
                  `user ${existing.user_id} already exists with ${sameEmail ? 'another referrer' : 'another email'}`,
                ),
              );
            }
            continue;
          }
          // Quiet: the setting is made in the same statement (so in the same transaction,
          // also when each row commits on its own), before the join it silences.
          const create = (x: Sql | TransactionSql) =>
            opts.quiet
              ? x`
            with quiet as materialized (select pg_catalog.set_config('eightfold.quiet_import', 'on', true))
            select eightfold.create_user(${u.user_id ?? null}, ${u.email ?? null}, ${u.display_name ?? null}, ${code}) from quiet`
              : x`
            select eightfold.create_user(${u.user_id ?? null}, ${u.email ?? null}, ${u.display_name ?? null}, ${code})`;
          // In a transaction, a refused row is undone to its savepoint and the rest goes on.
          await ('savepoint' in q ? q.savepoint((sp) => create(sp as unknown as TransactionSql)) : create(q));
          c.created++;
        } catch (err) {
          const e = err as { code?: string; column?: string; message?: string };
          if (typeof e.code !== 'string' || !DB_ERRORS[e.code] || !e.code.startsWith('EF')) throw err;
          // A refused referral (EF101-EF106) is about the column that named the referrer.
          const field = e.column ?? (e.code.startsWith('EF10') ? (referrerId !== undefined ? 'referrer_id' : 'referral_code') : null);
          refuse(dbBad(line, e.code, field, e.message ?? null));
        }
      }
      const malformed = c.bad.filter((b) => b.code === 'csv_malformed').length;
      c.lines += malformed;
      c.refused += malformed;
      return c;
    },
    (c) => !opts.dryRun && c.bad.length === 0,
  );
  return finish('users', result, committed, opts);
}

/** The report printed at the end: each bad line, then the totals and what was written. */
export function report(file: string, s: ImportSummary): string[] {
  const out = s.bad.map((b) => `line ${b.line}: ${b.code}${b.name ? ` ${b.name}` : ''}${b.field ? ` (${b.field})` : ''}: ${b.message}`);
  const verb = s.written === 'nothing' ? 'would be ' : '';
  out.push(
    `${file}: ${s.lines} ${s.kind === 'users' ? 'users' : 'purchases'} read: ${s.created} ${verb}created, ${s.replayed} replayed, ${s.refused} refused`,
  );
  if (s.dryRun) out.push('Dry run: nothing was written (every line was checked by the database in a transaction rolled back at the end).');
  else if (s.written === 'nothing')
    out.push(
      `Nothing was written: ${s.bad.length} bad line${s.bad.length === 1 ? '' : 's'}. Fix ${s.bad.length === 1 ? 'it' : 'them'} and run again (lines already imported are replays), or pass --continue to write the good lines.`,
    );
  else if (s.written === 'good lines') out.push(`The good lines were written (--continue); the ${s.bad.length} bad ones were not.`);
  else out.push('All written.');
  return out;
}
