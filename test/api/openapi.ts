// Validates response bodies against the OpenAPI document the app publishes at
// /openapi.json (not against a copy of the schema): a component schema, its $refs
// resolved, strict about undocumented properties, turned into a zod validator.
import { z } from 'zod';
import type { EightfoldApp } from '../../functions/app.ts';

type Json = unknown;

export async function openApiValidator(app: EightfoldApp, component: string): Promise<z.ZodType> {
  const doc = (await (await app.request('/openapi.json')).json()) as { components: { schemas: Record<string, Json> } };
  const schemas = doc.components.schemas;
  const resolve = (s: Json, depth = 0): Json => {
    if (depth > 20) throw new Error('recursive schema');
    if (Array.isArray(s)) return s.map((x) => resolve(x, depth + 1));
    if (s && typeof s === 'object') {
      const ref = (s as { $ref?: unknown }).$ref;
      if (typeof ref === 'string') {
        const name = ref.replace('#/components/schemas/', '');
        if (!(name in schemas)) throw new Error(`no schema ${name} in /openapi.json`);
        return resolve(schemas[name], depth + 1);
      }
      const out: Record<string, Json> = {};
      for (const [k, v] of Object.entries(s)) out[k] = k === 'example' ? v : resolve(v, depth + 1);
      if (out.type === 'object' && out.additionalProperties === undefined) out.additionalProperties = false;
      return out;
    }
    return s;
  };
  if (!(component in schemas)) throw new Error(`no schema ${component} in /openapi.json`);
  return z.fromJSONSchema(resolve(schemas[component]) as never);
}

/** Asserts-style helper: the issues of a body against the schema, [] when it conforms. */
export function issues(schema: z.ZodType, body: unknown): string[] {
  const r = schema.safeParse(body);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}
