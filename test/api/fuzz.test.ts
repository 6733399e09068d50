// Fuzzing the HTTP API from its own OpenAPI document: for every operation in
// /openapi.json, fast-check generates requests from the operation's schemas (path,
// query, body), mixed with what breaks naive servers: NUL characters, lone surrogates,
// impossible dates, unknown time zones, huge numbers and strings, wrong types, unknown
// keys, malformed JSON, bodies over the limit, missing and bad credentials. Asserted for
// every request: never a 5xx; every 4xx is a JSON error with a stable code; a refused
// request writes no row anywhere. At least 500 requests per run (RUNS_PER_OPERATION per
// operation), against the real database, through the app with its live hub.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fc from 'fast-check';
import { createApp, type EightfoldApp } from '../../functions/app.ts';
import { createVerifier, signAccessToken } from '../../functions/auth.ts';
import type { AppDeps } from '../../functions/context.ts';
import { LiveHub } from '../../functions/live/hub.ts';
import { NO_RATE_LIMITS, MiB } from '../../functions/limits.ts';
import { useTestDatabase, join, buy, type TestUser } from '../support/db.ts';

const db = useTestDatabase();
const SECRET = 'fuzz-test-secret-0123456789abcdef0123456789';
const SERVICE = 'ef_fuzz_test_service_key_0123456789';
const RUNS_PER_OPERATION = 32;

let app: EightfoldApp;
let hub: LiveHub;
let doc: any;
const users: TestUser[] = [];
let purchaseIds: string[] = [];
const tokens: string[] = [];
let expiredToken = '';
const stats = { requests: 0, byStatus: new Map<number, number>(), operations: 0 };

type Json = unknown;
type Schema = Record<string, any>;

/** Strings that break servers that trust their input. */
const evilString = fc.constantFrom(
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  'x\uD800',
  '\uDC00y',
  '\uFFFF',
  '😀',
  "'; drop table eightfold.earnings; --",
  '%00',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '%ED%B0%80',
  '%FF%FE',
  '2026-02-30',
  '0000-01-01',
  '9999-12-31T23:59:60Z',
  '2026-11-01T10:00:00.1234567Z',
  'US/Pacific-New',
  'NaN',
  '-1',
  '1e400',
  '99999999999999999999999.999',
  '0x10',
  'null',
  'true',
  '{"a":1}',
  'é'.repeat(300),
  'x'.repeat(5000),
);

const dateLike = fc.oneof(
  fc.constantFrom('2026-01-01', '2026-11-01T10:00:00Z', '2024-02-29', '0001-01-01', '9999-12-31', '2026-11-01T15:30:00.250+05:30'),
  fc
    .date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc
    .tuple(fc.integer({ min: 0, max: 10000 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }))
    .map(([y, m, d]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`),
  evilString,
);

function resolve(schema: Schema | undefined): Schema {
  if (!schema) return {};
  if (schema.$ref) return resolve(doc.components.schemas[String(schema.$ref).split('/').pop()!]);
  return schema;
}

/** A value for a schema: mostly what it asks for, sometimes anything but. */
function valueFor(raw: Schema | undefined, name = ''): fc.Arbitrary<Json> {
  const schema = resolve(raw);
  return fc.oneof(
    { weight: 6, arbitrary: validFor(schema, name) },
    { weight: 2, arbitrary: evilString },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.integer(),
        fc.double(),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.string(), { maxLength: 3 }),
        fc.object({ maxDepth: 2 }),
      ),
    },
  );
}

/** clean: only what the schema asks for (so some requests get through and write). */
function validFor(schema: Schema, name: string, clean = false): fc.Arbitrary<Json> {
  if (schema.anyOf || schema.oneOf) {
    const options = (schema.anyOf ?? schema.oneOf) as Schema[];
    return fc.oneof(...options.map((s) => validFor(resolve(s), name, clean)));
  }
  if (clean && ['from', 'to'].includes(name)) return fc.constantFrom('2026-01-01', '2026-11-01T10:00:00Z', '2025-06-01', '2027-01-01');
  if (clean && name === 'purchased_at') return fc.constantFrom('2025-06-01T10:00:00Z', '2026-01-15T08:30:00.250+05:30');
  if (clean && (name === 'amount' || name === 'profit')) return fc.constantFrom('2500.00', '1000.01', '999.99', '150.5', '40000');
  if (clean && name === 'currency') return fc.constant('INR');
  if (clean && name === 'tz') return fc.constantFrom('UTC', 'Asia/Kolkata');
  if (clean && (name === 'buyer_id' || name === 'user_id')) return fc.constantFrom(...users.map((u) => u.id));
  if (clean && name === 'purchase_id') return fc.constantFrom(...purchaseIds);
  if (clean && (name === 'code' || name === 'referral_code')) return fc.constantFrom(...users.map((u) => u.code));
  if (clean && name === 'external_ref') return fc.uuid().map((u) => `fuzz-${u}`);
  if (schema.enum) return fc.constantFrom(...(schema.enum as Json[]));
  if (schema.const !== undefined) return fc.constant(schema.const);
  const type = Array.isArray(schema.type) ? schema.type.find((t: string) => t !== 'null') : schema.type;
  if (['from', 'to', 'purchased_at'].includes(name)) return dateLike;
  if (name === 'tz') return fc.constantFrom('UTC', 'Asia/Kolkata', 'asia/kolkata', 'US/Pacific-New', 'Mars/Olympus', 'UTC+5', 'Etc/GMT-14');
  if (name === 'user_id' || name === 'buyer_id' || schema.format === 'uuid') {
    return fc.oneof(
      fc.constantFrom(...users.map((u) => u.id)),
      fc.uuid(),
      fc.constantFrom(...(purchaseIds.length ? purchaseIds : [users[0]!.id])),
    );
  }
  if (name === 'purchase_id') return fc.oneof(fc.constantFrom(...purchaseIds), fc.uuid());
  if (name === 'code' || name === 'referral_code')
    return fc.oneof(fc.constantFrom(...users.map((u) => u.code)), fc.string({ maxLength: 12 }));
  if (name === 'last_event_id') return fc.constantFrom('0-0', '1-1', '99999999999999999999-1', 'x', '-1-1');
  switch (type) {
    case 'string':
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern)).map((s) => s.slice(0, 40));
      if (schema.format === 'email') return fc.emailAddress();
      return fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 80) });
    case 'integer':
    case 'number':
      return fc.oneof(
        fc.integer({ min: Math.max(schema.minimum ?? -1000, -1e6), max: Math.min(schema.maximum ?? 1000, 1e6) }),
        fc.constantFrom(0, -1, 1e12, 2 ** 53),
      );
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(validFor(resolve(schema.items), name, clean), { maxLength: 3 });
    case 'object': {
      const props = Object.entries((schema.properties ?? {}) as Record<string, Schema>);
      const required = new Set<string>(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<Json>> = {};
      for (const [key, s] of props) record[key] = clean ? validFor(resolve(s), key, true) : valueFor(s, key);
      if (clean) return fc.record(record, { requiredKeys: props.map(([k]) => k).filter((k) => required.has(k)) });
      return fc
        .tuple(
          fc.record(record, { requiredKeys: props.map(([k]) => k).filter((k) => required.has(k)) }),
          fc.option(fc.tuple(fc.constantFrom('extra', 'a\u0000', 'amount '), evilString), { freq: 6 }),
        )
        .map(([o, extra]) => (extra ? { ...o, [extra[0]]: extra[1] } : o));
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

interface Op {
  /** Who the operation is for, from its tag: 'service', 'user' or either. */
  audience: 'service' | 'user' | 'any';
  method: string;
  path: string;
  pathParams: { name: string; schema: Schema }[];
  query: { name: string; schema: Schema }[];
  body?: Schema;
}

function operations(): Op[] {
  const ops: Op[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(item)) {
      const params = (op.parameters ?? []) as { name: string; in: string; schema: Schema }[];
      const tags = ((op.tags ?? []) as string[]).join(' ');
      ops.push({
        audience: /service|operator/.test(tags) ? 'service' : /\(user\)/.test(tags) ? 'user' : 'any',
        method: method.toUpperCase(),
        path,
        pathParams: params.filter((p) => p.in === 'path'),
        query: params.filter((p) => p.in === 'query'),
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return ops;
}

type Auth = 'service' | 'user' | 'expired' | 'garbage' | 'none';

function requestFor(op: Op) {
  const mutated = () => {
    const pathValues = fc.tuple(
      ...op.pathParams.map((p) =>
        fc.oneof({ weight: 5, arbitrary: validFor(resolve(p.schema), p.name) }, { weight: 1, arbitrary: evilString }),
      ),
    );
    const queryRecord: Record<string, fc.Arbitrary<Json>> = {};
    for (const q of op.query) queryRecord[q.name] = valueFor(q.schema, q.name);
    const bodyKind = fc.constantFrom('schema', 'schema', 'schema', 'schema', 'malformed', 'huge', 'wrong-type', 'none');
    return fc.record({
      pathValues: op.pathParams.length ? pathValues : fc.constant([] as Json[]),
      query: fc.record(queryRecord, { requiredKeys: [] }),
      extraQuery: fc.option(fc.tuple(fc.constantFrom('x', 'access_token', 'a\u0000'), evilString), { freq: 5 }),
      bodyKind: op.body ? bodyKind : fc.constantFrom('none', 'none', 'none', 'malformed'),
      body: op.body ? valueFor(op.body) : fc.constant(undefined),
      auth: fc.constantFrom<Auth>('service', 'service', 'user', 'user', 'expired', 'garbage', 'none'),
      userIndex: fc.nat({ max: 1000 }),
    });
  };
  // A third of the requests are well-formed, with a good credential: they reach the
  // database and, on the write routes, write (the no-write check needs both sides).
  const clean = () => {
    const queryRecord: Record<string, fc.Arbitrary<Json>> = {};
    for (const q of op.query) queryRecord[q.name] = validFor(resolve(q.schema), q.name, true);
    return fc.record({
      pathValues: fc.tuple(...op.pathParams.map((p) => validFor(resolve(p.schema), p.name, true))) as fc.Arbitrary<Json[]>,
      query: fc.record(queryRecord, { requiredKeys: [] }),
      extraQuery: fc.constant(null),
      bodyKind: fc.constant(op.body ? 'schema' : 'none'),
      body: op.body ? validFor(resolve(op.body), '', true) : fc.constant(undefined),
      auth: op.audience === 'any' ? fc.constantFrom<Auth>('service', 'user') : fc.constant<Auth>(op.audience),
      userIndex: fc.nat({ max: 1000 }),
    });
  };
  return fc.oneof({ weight: 2, arbitrary: mutated() }, { weight: 1, arbitrary: clean() });
}

const count = async () => {
  const tables = await db.sql<{ name: string }[]>`
    select format('%I.%I', n.nspname, c.relname) as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname in ('eightfold', 'auth') and not c.relispartition
    union all select 'realtime.messages'`;
  const [row] = await db.sql.unsafe(`select ${tables.map((t, i) => `(select count(*) from ${t.name}) as t${i}`).join(', ')}`);
  return Object.fromEntries(tables.map((t, i) => [t.name, Number((row as Record<string, string>)[`t${i}`])]));
};

interface Generated {
  pathValues: Json[];
  query: Record<string, Json>;
  extraQuery: [string, string] | null;
  bodyKind: string;
  body: Json;
  auth: Auth;
  userIndex: number;
}

async function send(op: Op, r: Generated): Promise<void> {
  let path = op.path;
  op.pathParams.forEach((p, i) => {
    // A URL cannot carry a lone surrogate: a client sends U+FFFD in its place.
    path = path.replace(`{${p.name}}`, encodeURIComponent((String(r.pathValues[i]) as string & { toWellFormed(): string }).toWellFormed()));
  });
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(r.query as Record<string, Json>))
    if (v !== undefined) qs.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  if (r.extraQuery) qs.set(r.extraQuery[0], String(r.extraQuery[1]));
  const headers: Record<string, string> = {};
  if (r.auth === 'service') headers.authorization = `Bearer ${SERVICE}`;
  else if (r.auth === 'user') headers.authorization = `Bearer ${tokens[r.userIndex % tokens.length]}`;
  else if (r.auth === 'expired') headers.authorization = `Bearer ${expiredToken}`;
  else if (r.auth === 'garbage') headers.authorization = 'Bearer eyJhbGciOiJub25lIn0.e30.';
  let body: string | undefined;
  if (r.bodyKind === 'schema') body = JSON.stringify(r.body);
  else if (r.bodyKind === 'malformed') body = '{"amount": "10.00",';
  else if (r.bodyKind === 'huge') body = JSON.stringify({ pad: 'x'.repeat(MiB + 10) });
  else if (r.bodyKind === 'wrong-type') body = JSON.stringify(r.body);
  if (body !== undefined) headers['content-type'] = r.bodyKind === 'wrong-type' ? 'text/plain' : 'application/json';
  const url = `${path}${qs.size ? `?${qs}` : ''}`;

  const before = await count();
  const res = await app.request(url, { method: op.method, headers, body: op.method === 'GET' ? undefined : body });
  const type = res.headers.get('content-type') ?? '';
  const what = `${op.method} ${url} (${r.auth}, body ${r.bodyKind}${body ? `: ${body.slice(0, 200)}` : ''})`;
  stats.requests++;
  stats.byStatus.set(res.status, (stats.byStatus.get(res.status) ?? 0) + 1);
  if (type.startsWith('text/event-stream')) {
    await res.body?.cancel();
  } else {
    const text = await res.text();
    expect(res.status, `${what} -> ${text.slice(0, 300)}`).toBeLessThan(500);
    if (res.status >= 400) {
      expect(type, what).toContain('application/json');
      const json = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      expect(json.error?.code, `${what} -> ${text}`).toMatch(/^[a-z_]+$/);
      expect(typeof json.error?.message, what).toBe('string');
    }
  }
  expect(res.status, what).toBeLessThan(500);
  if (res.status >= 400) expect(await count(), `a refused request wrote rows: ${what}`).toEqual(before);
}

beforeAll(async () => {
  const root = await join(db.sql, 'Fuzz Root', null);
  const a = await join(db.sql, 'Fuzz Anna', root);
  const b = await join(db.sql, 'Fuzz Bala', a);
  const c = await join(db.sql, 'Fuzz Chitra', b);
  users.push(root, a, b, c);
  purchaseIds = [await buy(db.sql, b, '5000.00'), await buy(db.sql, c, '2500.00', { profit: '400.00' })];
  for (const u of users) tokens.push(await signAccessToken(SECRET, { userId: u.id }));
  expiredToken = await signAccessToken(SECRET, { userId: a.id }, { expiresInSeconds: -10 });
  hub = new LiveHub(db.sql, { pollMs: 60_000, heartbeatMs: 60_000 });
  await hub.start();
  const deps: AppDeps = {
    sql: db.sql,
    verifier: createVerifier({ jwtSecret: SECRET, serviceKeys: [SERVICE] }),
    config: {
      mode: 'local',
      signDemoToken: (s) => signAccessToken(SECRET, s),
      limits: { rate: NO_RATE_LIMITS, streamsPerUser: 0, streamsPerService: 0 },
    },
    live: hub,
  };
  app = createApp(deps, { logError: () => {} });
  doc = await (await app.request('/openapi.json')).json();
});

afterAll(async () => {
  await hub?.stop();
});

describe('fuzzing every operation of the OpenAPI document', () => {
  it('never answers 5xx, answers every 4xx with a JSON error code, and writes nothing when it refuses', async () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThanOrEqual(18);
    for (const op of ops) {
      stats.operations++;
      await fc.assert(
        fc.asyncProperty(requestFor(op), (r) => send(op, r as Generated)),
        { numRuns: RUNS_PER_OPERATION },
      );
    }
    expect(stats.requests).toBeGreaterThanOrEqual(500);
    const summary = [...stats.byStatus.entries()]
      .sort(([x], [y]) => x - y)
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ');
    console.log(`fuzz: ${stats.requests} requests over ${stats.operations} operations (${summary})`);
    // The generator reaches both sides: refusals and real successes (writes included).
    expect([...stats.byStatus.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
    expect([...stats.byStatus.keys()].some((s) => s >= 400)).toBe(true);
    expect(stats.byStatus.get(201) ?? 0).toBeGreaterThan(0);
  }, 180_000);
});
