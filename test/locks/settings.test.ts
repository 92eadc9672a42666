import { describe, expect, it } from 'vitest';
import { describeDatabase, locksFileSchema, resolveLocksSettings } from '../../src/locks/settings.js';

function resolve(block: unknown, env: Record<string, string> = {}) {
  return resolveLocksSettings(locksFileSchema.parse(block), env);
}

describe('locks settings', () => {
  it('keeps the databases in file order, the first being the default, and reads url_env at load time', () => {
    const settings = resolve(
      { databases: { main: { url: 'postgres://monitor@db/app' }, billing: { url_env: 'LOCKS_BILLING_URL' } }, act: ['U0DBA1', 'S0DBAS'] },
      { LOCKS_BILLING_URL: 'postgres://monitor:secret@billing/db' },
    );
    expect(settings).toEqual({
      databases: [
        { name: 'main', url: 'postgres://monitor@db/app' },
        { name: 'billing', url: 'postgres://monitor:secret@billing/db' },
      ],
      statementTimeoutMs: 2000,
      act: ['U0DBA1', 'S0DBAS'],
      showQuery: 'redacted',
    });
  });

  it('names the missing environment variable, and never echoes a wrong value', () => {
    expect(resolve({ databases: { billing: { url_env: 'LOCKS_BILLING_URL' } } })).toEqual({
      error: 'locks.databases.billing.url_env: LOCKS_BILLING_URL is not set',
    });
    const wrong = resolve({ databases: { billing: { url_env: 'X' } } }, { X: 'mysql://u:hunter2@h/d' });
    expect(JSON.stringify(wrong)).toContain('X must hold a postgres:// URL');
    expect(JSON.stringify(wrong)).not.toContain('hunter2');
  });

  it.each([
    [{ statement_timeout: 'soon' }, 'statement_timeout'],
    [{ act: ['bob'] }, 'act'],
    [{ show_query: 'all' }, 'show_query'],
    [{ databases: { main: { url: 'x', url_env: 'Y' } } }, 'databases'],
  ])('rejects %j at %s', (block, path) => {
    const parsed = locksFileSchema.safeParse(block);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path[0]).toBe(path);
  });

  it('describes a database without its password', () => {
    expect(describeDatabase('postgres://monitor:hunter2@db.internal:6432/app?sslmode=require&password=x')).toBe(
      'postgres://monitor@db.internal:6432/app',
    );
    expect(describeDatabase('not a url')).not.toContain('not a url');
  });
});
