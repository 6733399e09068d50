// Renders the error-code table of docs/error-codes.md from functions/errors.ts.
import * as errors from './errors.ts';

export function renderErrorCodesDoc(): string {
  const db = Object.entries(errors.DB_ERRORS).sort(([a], [b]) => a.localeCompare(b));
  const api = Object.values((errors as { API_ERRORS?: Record<string, errors.ErrorInfo> }).API_ERRORS ?? {});
  const lines = [
    '# Error codes',
    '',
    'Generated from `functions/errors.ts` by `npm run docs:errors`; do not edit by hand.',
    '',
    'Every error has a stable `code` (the JSON `error.code` of the HTTP API) and an HTTP',
    'status. Errors raised by the database carry a five-character SQLSTATE (`EFxxx` for ours):',
    'supabase-js callers see it as `error.code`, the HTTP API maps it to the stable name below.',
    'Bad input is refused before anything is written.',
    '',
    '## From the database',
    '',
    '| SQLSTATE | code | HTTP | meaning |',
    '|---|---|---|---|',
    ...db.map(([state, e]) => `| \`${state}\` | \`${e.code}\` | ${e.status} | ${e.title} |`),
    '',
    'Other PostgreSQL codes, by class (the first two characters), when not listed above:',
    '',
    '| SQLSTATE class | code | HTTP | meaning |',
    '|---|---|---|---|',
    ...Object.entries(errors.DB_ERROR_CLASSES)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([cls, e]) => `| \`${cls}xxx\` | \`${e.code}\` | ${e.status} | ${e.title} |`),
    '',
    `A connection that fails (${errors.CONNECTION_ERROR_CODES.map((c) => `\`${c}\``).join(', ')}) is`,
    '`503 database_unavailable` with `Retry-After` too.',
    '',
  ];
  if (api.length) {
    lines.push('## From the HTTP API itself', '', '| code | HTTP | meaning |', '|---|---|---|');
    lines.push(...api.map((e) => `| \`${e.code}\` | ${e.status} | ${e.title} |`), '');
  }
  return lines.join('\n');
}
