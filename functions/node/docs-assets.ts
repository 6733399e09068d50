// The Swagger UI files /docs serves on Node (functions/routes/docs.ts), read from the
// swagger-ui-dist package pinned in package.json, like the dashboard's ECharts: no CDN, no
// script from another origin. Only the files the page loads are served.
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { DocsAssets } from '../routes/docs.ts';

const PACKAGE_JSON = createRequire(import.meta.url).resolve('swagger-ui-dist/package.json');
const DIR = path.dirname(PACKAGE_JSON);

const FILES: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

export function swaggerUiAssets(): DocsAssets {
  const { version } = JSON.parse(readFileSync(PACKAGE_JSON, 'utf8')) as { version: string };
  const cache = new Map<string, Uint8Array>();
  return {
    version,
    async read(name) {
      const type = FILES[name];
      if (!type) return null;
      let body = cache.get(name);
      if (!body) {
        body = await readFile(path.join(DIR, name));
        cache.set(name, body);
      }
      return { body, type };
    },
  };
}
