import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { IncidentRepository } from '../../src/incidents/repository.js';
import { LocksService } from '../../src/locks/service.js';
import { postgresLocksStore } from '../../src/locks/records.js';
import { LocksWatch } from '../../src/locks/watch.js';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';
import { asRole, ROLE_PASSWORD } from '../support/roles.js';

const DBA = 'U0DBA1';
const MEMBER = 'U0MEMBER1';
const STRANGER = 'U0STRANGER';
// The PostgreSQL server is shared with other test files (and their contention): ours is told apart by name.
const APP = `locks-e2e-${randomBytes(3).toString('hex')}`;

let h: Harness;
let inspected: TestDatabase;
let appRole: string;
let general: string;
const sessions: pg.Client[] = [];
const pending: Promise<unknown>[] = [];

async function session(): Promise<pg.Client & { pid: number }> {
  const client = new pg.Client({ connectionString: asRole(inspected.url, appRole), application_name: APP });
  client.on('error', () => undefined);
  await client.connect();
  sessions.push(client);
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return Object.assign(client, { pid: rows[0]?.pid as number });
}

/** A root idle in transaction on row 1 and two writers queued behind it. */
async function contention(): Promise<number> {
  const root = await session();
  await root.query('BEGIN; UPDATE accounts SET balance = 0 WHERE id = 1');
  for (let i = 0; i < 2; i += 1) {
    const w = await session();
    pending.push(w.query('UPDATE accounts SET balance = 1 WHERE id = 1').catch(() => undefined));
  }
  await eventually(async () => {
    // Not from a session in a transaction: pg_stat_activity stays as it was at its first read there.
    const { rows } = await h.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
      [APP],
    );
    return rows[0]?.n === 2 ? true : undefined;
  });
  return root.pid;
}

async function command(userId: string, channelId: string, text: string): Promise<string> {
  const result = await h.driver.slashCommand({ command: '/locks', text, userId, channelId });
  expect(result.status).toBe(200);
  const [response] = await result.waitForResponses(1, 10_000);
  return String(response!.body['text']);
}

function pictures(channel: string) {
  return h.fake.messages(channel).filter((m) => JSON.stringify(m.blocks ?? []).includes('Root blocker'));
}

beforeAll(async () => {
  inspected = await createTestDatabase('locks_e2e');
  appRole = `locks_e2e_${new URL(inspected.url).pathname.slice(-8)}`;
  const admin = new pg.Client({ connectionString: inspected.url });
  await admin.connect();
  await admin.query(`CREATE ROLE ${appRole} LOGIN PASSWORD '${ROLE_PASSWORD}';
    CREATE TABLE accounts (id int PRIMARY KEY, balance int);
    INSERT INTO accounts VALUES (1, 100), (2, 100);
    GRANT ALL ON accounts TO ${appRole};`);
  await admin.end();
  h = await startHarness('locks_e2e', {
    yaml: `timezone: UTC
locks:
  databases:
    main: {url: "${inspected.url}"}
    billing: {url: "${inspected.url}"}
  act: [${DBA}, S0DBAS]
`,
  });
  for (const id of [DBA, MEMBER, STRANGER]) h.fake.addUser({ id, name: id.toLowerCase(), tz: 'UTC' });
  h.fake.addUsergroup('S0DBAS', [MEMBER]);
  general = h.fake.addChannel({ name: 'general', members: [DBA, MEMBER, STRANGER, h.fake.botUserId] }).id;
});

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.end().catch(() => undefined)));
  await Promise.all(pending.splice(0));
  // A closed connection's backend rolls back and exits a moment later: until then its locks are
  // in the next test's picture.
  await eventually(async () => {
    const { rows } = await h.db.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1', [APP]);
    return rows[0]?.n === 0 ? true : undefined;
  });
});

afterAll(async () => {
  await h?.stop();
  await inspected?.drop();
  const admin = new pg.Client({ connectionString: inject('pgAdminUrl') });
  await admin.connect();
  await admin.query(`DROP ROLE IF EXISTS ${appRole}`);
  await admin.end();
});

describe('/locks in Slack', () => {
  it('posts the picture where it is typed, outside an incident, with a Terminate button on the root', async () => {
    const root = await contention();
    expect(await command(DBA, general, '')).toBe('Posted the lock picture of main in this channel.');
    const [picture] = await eventually(async () => (pictures(general).length > 0 ? pictures(general) : undefined));
    const json = JSON.stringify(picture?.blocks);
    expect(json).toContain(`pid ${root} (${APP}, ${appRole}) idle in transaction`);
    expect(json).toContain('blocks 2 sessions (1 directly)');
    expect(json).toContain('Terminate session');
    expect(json).not.toContain('Cancel query');
  });

  it('answers an unknown database and a typo only to the person, listing the valid names', async () => {
    expect(await command(DBA, general, 'nope')).toContain('There is no database "nope" for /locks. Configured: main, billing.');
    const typo = await h.driver.slashCommand({ command: '/locks', text: 'a b c', userId: DBA, channelId: general });
    expect((typo.body as { text: string }).text).toContain('Usage: /locks [database]');
  });

  it('refuses a stranger, then lets a usergroup member terminate the root, records it and posts the new picture', async () => {
    const incident = await h.driver.slashCommand({ text: 'open sev1 Billing locked', userId: DBA, channelId: general });
    const [opened] = await incident.waitForResponses(1, 10_000);
    const channel = /<#(C\w+)>/.exec(String(opened!.body['text']))![1]!;
    const root = await contention();
    expect(await command(DBA, channel, 'main')).toContain('and added it to the timeline');
    const [picture] = await eventually(async () => (pictures(channel).length > 0 ? pictures(channel) : undefined));
    const elements = (picture?.blocks ?? []).flatMap((b) => ((b as { elements?: { action_id?: string; value?: string }[] }).elements ?? []));
    // The server is shared with other test files: the picture may show their roots too.
    const value = elements.find((e) => e.action_id === 'locks_terminate' && (JSON.parse(e.value ?? '{}') as { pid?: number }).pid === root)?.value as string;

    const refused = await h.driver.blockAction({ userId: STRANGER, channelId: channel, messageTs: picture!.ts, actionId: 'locks_terminate', value });
    const [no] = await refused.waitForResponses(1, 10_000);
    expect(String(no!.body['text'])).toContain('Only the people listed under locks.act may terminate a session');
    expect((await sessions[0]!.query('SELECT 1 AS alive')).rows).toEqual([{ alive: 1 }]);

    const done = await h.driver.blockAction({ userId: MEMBER, channelId: channel, messageTs: picture!.ts, actionId: 'locks_terminate', value });
    const [yes] = await done.waitForResponses(1, 10_000);
    expect(String(yes!.body['text'])).toBe(`Done: terminated pid ${root}. The new picture is posted in the channel.`);
    await eventually(async () =>
      h.fake.messages(channel).some((m) => m.text.includes(`<@${MEMBER}> terminated pid ${root} on main.`)) ? true : undefined,
    );
    const { rows } = await h.db.query<{ text: string }>(`SELECT text FROM timeline_events WHERE kind = 'lock_snapshot' ORDER BY id`);
    expect(rows.map((r) => r.text)).toEqual([
      // Other files' roots may be in the picture too (same server): ours is there, as it was.
      expect.stringMatching(new RegExp(`^Lock snapshot of main: \\d+ sessions waiting; (.*; )?pid ${root} \\(idle in transaction \\d+s\\) blocking 2[.;]`)),
      expect.stringMatching(new RegExp(`^${MEMBER} terminated pid ${root} on main\\. Lock snapshot of main`)),
    ]);

    const again = await h.driver.blockAction({ userId: MEMBER, channelId: channel, messageTs: picture!.ts, actionId: 'locks_terminate', value });
    const [stale] = await again.waitForResponses(1, 10_000);
    expect(String(stale!.body['text'])).toContain('nothing was done');
  });

  it('/locks watch posts only when the roots or their counts change, and stops when the incident closes', async () => {
    const incident = await h.driver.slashCommand({ text: 'open sev2 Watch the locks', userId: DBA, channelId: general });
    const [opened] = await incident.waitForResponses(1, 10_000);
    const channel = /<#(C\w+)>/.exec(String(opened!.body['text']))![1]!;
    expect(await command(DBA, general, 'watch')).toContain('works in an incident channel');
    expect(await command(DBA, channel, 'watch billing')).toContain('Watching billing every 15 s');

    // The scheduled job calls tick every 15 s; the test calls it itself.
    const locks = LocksService.create(
      { databases: [{ name: 'main', url: inspected.url }, { name: 'billing', url: inspected.url }], statementTimeoutMs: 2000, act: [], showQuery: 'redacted' },
      async () => [],
    );
    const watch = new LocksWatch({ store: postgresLocksStore(h.db), locks, incidents: new IncidentRepository(h.db), effects: h.bot.outbox });
    const posts = () => h.fake.messages(channel).filter((m) => /Lock contention on|No session waits/.test(m.text)).length;
    try {
      await contention();
      await watch.tick(new Date());
      await eventually(async () => (posts() === 1 ? true : undefined));
      await watch.tick(new Date());
      const w = await session();
      pending.push(w.query('UPDATE accounts SET balance = 2 WHERE id = 1').catch(() => undefined));
      await eventually(async () => {
        // Not from a session in a transaction: pg_stat_activity stays as it was at its first read there.
        const { rows } = await h.db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
      [APP],
        );
        return rows[0]?.n === 3 ? true : undefined;
      });
      await watch.tick(new Date());
      await eventually(async () => (posts() === 2 ? true : undefined));

      expect(await command(DBA, channel, 'watch stop')).toBe('Stopped watching locks for this incident.');
      await watch.tick(new Date());
      expect(await command(DBA, channel, 'watch')).toContain('Watching main');
      await h.driver.slashCommand({ text: 'close fixed', userId: DBA, channelId: channel });
      await eventually(async () => {
        const { rows } = await h.db.query<{ state: string }>(`SELECT state FROM incidents WHERE channel_id = $1`, [channel]);
        return rows[0]?.state === 'closed' ? true : undefined;
      });
      await watch.tick(new Date());
      const { rows } = await h.db.query<{ stopped: boolean }>(
        'SELECT bool_and(stopped_at IS NOT NULL) AS stopped FROM locks_watches w JOIN incidents i ON i.id = w.incident_id WHERE i.channel_id = $1',
        [channel],
      );
      expect(rows[0]?.stopped).toBe(true);
      // Stopped, restarted and then closed before a round: nothing more was posted.
      expect(posts()).toBe(2);
    } finally {
      await locks.close();
    }
  });
});
