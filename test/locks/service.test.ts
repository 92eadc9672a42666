import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/context.js';
import { LocksService, parseLockButton } from '../../src/locks/service.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';

let db: TestDatabase;
let service: LocksService;

beforeAll(async () => {
  db = await createTestDatabase('locks_service');
  service = LocksService.create(
    {
      databases: [
        { name: 'main', url: db.url },
        { name: 'unreachable', url: 'postgres://monitor:hunter2@127.0.0.1:1/app' },
      ],
      statementTimeoutMs: 2000,
      act: ['U0DBA1', 'S0DBAS'],
      showQuery: 'redacted',
    },
    async (id) => (id === 'S0DBAS' ? ['U0MEMBER'] : []),
  );
});

afterAll(async () => {
  await service?.close();
  await db?.drop();
});

describe('LocksService', () => {
  it('inspects the first database by default and renders a calm picture when nothing waits', async () => {
    const result = await service.inspect();
    expect(result.database).toBe('main');
    expect(result.diagnosis.kind).toBe('ok');
    expect(result.snapshot?.database).toBe('main');
    expect(result.rendered.message.text).toMatch(/^No session waits for a lock on main|^Lock contention on main/);
  });

  it('answers an unknown database with the valid names', async () => {
    const error = await service.inspect('billing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe('There is no database "billing" for /locks. Configured: main, unreachable.');
  });

  it('says why a database cannot be inspected, without its password', async () => {
    const result = await service.inspect('unreachable');
    expect(result.diagnosis.kind).toBe('failed');
    expect(result.rendered.message.text).toContain('postgres://monitor@127.0.0.1:1/app');
    expect(JSON.stringify(result.rendered)).not.toContain('hunter2');
  });

  it('refuses people not under locks.act and changes nothing', async () => {
    const victim = new pg.Client({ connectionString: db.url });
    await victim.connect();
    try {
      const { rows } = await victim.query<{ pid: number; s: string }>(
        `SELECT pid, to_json(backend_start)#>>'{}' AS s FROM pg_stat_activity WHERE pid = pg_backend_pid()`,
      );
      const { pid, s } = rows[0] as { pid: number; s: string };
      expect(await service.act('U0STRANGER', 'terminate', pid, s, 'main')).toEqual({
        kind: 'refused',
        why: 'Only the people listed under locks.act may terminate a session; nothing was changed.',
      });
      expect((await victim.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
      // A group member passes authorisation; the re-check then protects this superuser session.
      expect(await service.act('U0MEMBER', 'terminate', pid, s, 'main')).toEqual({
        kind: 'refused',
        why: `pid ${pid} belongs to a superuser: Firebreak never signals it`,
      });
    } finally {
      await victim.end();
    }
  });

  it('reads back only button values it made', () => {
    expect(parseLockButton('{"db":"main","pid":42,"backendStart":"2026-03-02T09:00:00.000001+00:00"}')).toEqual({
      db: 'main',
      pid: 42,
      backendStart: '2026-03-02T09:00:00.000001+00:00',
    });
    for (const bad of ['nope', '{"db":"main","pid":"42","backendStart":"x"}', '{"db":"main","pid":4.2,"backendStart":"2026-03-02"}', 'null']) {
      expect(parseLockButton(bad)).toBeNull();
    }
  });
});
