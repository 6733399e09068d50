// One configuration parser for Node and the Edge Function (functions/config.ts): the same
// names mean the same on both, old names still work with a warning, bad values stop the start.
import { describe, it, expect } from 'vitest';
import { loadConfig } from '../functions/node/config.ts';
import { loadSharedConfig, sharedShape } from '../functions/config.ts';

const ENV = {
  SUPABASE_URL: 'https://abc.supabase.co',
  EIGHTFOLD_JWT_SECRET: 'x'.repeat(40),
  EIGHTFOLD_SERVICE_KEY: 's'.repeat(24),
  EIGHTFOLD_CORS_ORIGINS: 'https://app.example.com',
  EIGHTFOLD_RATE_LIMIT_USER: '90',
  EIGHTFOLD_TRUST_PROXY: '1',
  SUPABASE_DB_URL: 'postgres://postgres:pw@db.abc.supabase.co:5432/postgres',
};

describe('configuration', () => {
  it('Node and Deno read every shared variable the same way', () => {
    const node = loadConfig(ENV);
    const deno = loadSharedConfig(ENV).config;
    for (const key of Object.keys(sharedShape))
      expect([key, node[key as keyof typeof node]]).toEqual([key, deno[key as keyof typeof deno]]);
    expect(deno.EIGHTFOLD_RATE_LIMIT_USER).toBe(90);
  });

  it('deprecated names still work, with a warning; the new name wins when both are set', () => {
    const warnings: string[] = [];
    const old = loadConfig({ SUPABASE_JWT_SECRET: 'o'.repeat(40), SUPABASE_JWKS_URL: 'https://k.example/jwks.json' }, (m) =>
      warnings.push(m),
    );
    expect(old.EIGHTFOLD_JWT_SECRET).toBe('o'.repeat(40));
    expect(old.EIGHTFOLD_JWKS_URL).toBe('https://k.example/jwks.json');
    expect(warnings).toEqual([
      'SUPABASE_JWT_SECRET is deprecated: set EIGHTFOLD_JWT_SECRET instead.',
      'SUPABASE_JWKS_URL is deprecated: set EIGHTFOLD_JWKS_URL instead.',
    ]);
    const both = loadSharedConfig({ SUPABASE_JWT_SECRET: 'o'.repeat(40), EIGHTFOLD_JWT_SECRET: 'n'.repeat(40) });
    expect(both.config.EIGHTFOLD_JWT_SECRET).toBe('n'.repeat(40));
    expect(loadConfig({ EIGHTFOLD_SEED_DEMO: 'never' }).EIGHTFOLD_SEED_DEMO).toBe('0');
  });

  it('a bad value stops the start with every bad variable named', () => {
    expect(() => loadSharedConfig({ EIGHTFOLD_JWT_SECRET: 'short', EIGHTFOLD_RATE_LIMITS: 'maybe' })).toThrow(
      /Invalid configuration:\n {2}EIGHTFOLD_JWT_SECRET: the JWT secret is at least 32 characters\n {2}EIGHTFOLD_RATE_LIMITS:/,
    );
    expect(() => loadConfig({ EIGHTFOLD_SEED_DEMO: 'yes' })).toThrow(/EIGHTFOLD_SEED_DEMO/);
    expect(() => loadConfig({ EIGHTFOLD_PG_SIZING: 'big' })).toThrow(/EIGHTFOLD_PG_SIZING/);
  });

  it('sizes the embedded server to the machine unless told stock', () => {
    expect(loadConfig({}).EIGHTFOLD_PG_SIZING).toBe('machine');
    expect(loadConfig({ EIGHTFOLD_PG_SIZING: 'stock' }).EIGHTFOLD_PG_SIZING).toBe('stock');
  });
});
