import { describe, expect, it } from 'vitest';
import type { Block } from '../../src/ports/slack.js';
import { CANCEL_ACTION, formatDuration, pictureKey, renderDiagnosis, snapshotSummary, TERMINATE_ACTION } from '../../src/locks/render.js';
import type { DiagnosisRow, SessionRow } from '../../src/locks/sql.js';
import { buildForest } from '../../src/locks/tree.js';
import { ago, diagnosisRow, hotRow, largeForestRow, lock, sessionRow } from './fixture.js';

function render(row: DiagnosisRow, mode: 'full' | 'redacted' | 'none' = 'redacted') {
  return renderDiagnosis({ kind: 'ok', forest: buildForest(row), row, elapsedMs: 3 }, 'main', mode);
}

function texts(blocks: Block[] = []): string[] {
  return blocks.flatMap((b) => {
    const text = (b as { text?: { text: string } }).text?.text;
    const elements = (b as { elements?: { text?: string }[] }).elements ?? [];
    return [text, ...elements.map((e) => (typeof e.text === 'string' ? e.text : undefined))].filter((t): t is string => t !== undefined);
  });
}

function actions(blocks: Block[] = []): Record<string, unknown>[] {
  return blocks.filter((b) => b.type === 'actions').flatMap((b) => (b as unknown as { elements: Record<string, unknown>[] }).elements);
}

function withRoot(over: Partial<SessionRow>): DiagnosisRow {
  const row = hotRow(3);
  row.sessions = row.sessions.map((s) => (s.pid === 1 ? { ...s, ...over } : s));
  return row;
}

describe('renderDiagnosis', () => {
  it('makes the root obvious in one line and labels its query as the last statement', () => {
    const { message, detailText } = render(hotRow(12));
    const all = texts(message.blocks).join('\n');
    expect(all).toContain(
      '*Root blocker:* pid 1 (billing, app) idle in transaction 7m02s, holds RowExclusiveLock on public.accounts, blocks 12 sessions (1 directly)',
    );
    expect(all).toContain("last statement: `UPDATE accounts SET balance = ? WHERE id = ?`");
    expect(all).not.toContain('query holding');
    expect(all).toContain('Lock contention on *main*: 12 sessions waiting behind 1 root blocker, oldest wait 6m40s; connections 57 of 100.');
    expect(all).toContain('• pid 2 (billing, app) waits 6m40s for row (0,2) of public.accounts, held by the transaction of pid 1, blocking 11');
    expect(all).toContain('11 sessions (pids 3, 4, 5, 6, 7, 8, …) (billing, app) wait');
    expect(all).toContain('idle_in_transaction_session_timeout is 0');
    expect(message.text).toContain('12 sessions waiting behind 1 root blocker');
    expect(detailText).toBeNull();
  });

  it('offers Terminate on an idle root and Cancel only on an active one, each confirmed, carrying db, pid and backend_start', () => {
    const idle = actions(render(hotRow(3)).message.blocks);
    expect(idle.map((e) => e['action_id'])).toEqual([TERMINATE_ACTION]);
    expect(JSON.parse(String(idle[0]?.['value']))).toEqual({ db: 'main', pid: 1, backendStart: '2026-03-02T09:00:00.000001+00:00' });
    const confirm = idle[0]?.['confirm'] as { text: { text: string }; title: { text: string } };
    expect(confirm.title.text).toBe('Terminate pid 1?');
    expect(confirm.text.text).toContain('rolled back');
    expect(confirm.text.text).toContain('unblocks 3 sessions');

    const active = actions(render(withRoot({ state: 'active' })).message.blocks);
    expect(active.map((e) => e['action_id'])).toEqual([TERMINATE_ACTION, CANCEL_ACTION]);
  });

  it.each([
    ['a superuser', { superuser: true }],
    ['autovacuum', { backend_type: 'autovacuum worker' }],
    ['a walsender', { backend_type: 'walsender' }],
  ])('offers no button on %s', (_, over) => {
    expect(actions(render(withRoot(over)).message.blocks)).toEqual([]);
  });

  it('offers no button on a prepared transaction and says how to end it', () => {
    const row = diagnosisRow({
      sessions: [sessionRow(7)],
      locks: [lock(7, { xid: '900' }, 'ShareLock', false)],
      held: [lock(null, { xid: '900' }, 'ExclusiveLock', true)],
      blocked: [[7, [0]]],
      over: { prepared: [{ gid: 'billing-42', xid: '900', prepared: ago(3600), owner: 'app', database: 'app', vxid: '-1/900' }] },
    });
    const { message } = render(row);
    expect(actions(message.blocks)).toEqual([]);
    expect(texts(message.blocks).join('\n')).toContain("prepared transaction billing-42 (app), prepared 1h00m ago, blocks 1 session (1 directly)");
    expect(texts(message.blocks).join('\n')).toContain("ROLLBACK PREPARED 'billing-42'");
  });

  it('escapes what sessions report and keeps query text inside its code span', () => {
    const row = withRoot({ application_name: '<!channel>', query: "SELECT '`x` <@U1>' AS a, \"`b`\" FROM t" });
    const all = texts(render(row, 'full').message.blocks).join('\n');
    expect(all).toContain('&lt;!channel&gt;');
    expect(all).not.toContain('<!channel>');
    const line = all.split('\n').find((l) => l.startsWith('last statement:')) ?? '';
    expect(line.match(/`/g)).toHaveLength(2);
    expect(line).toContain('&lt;@U1&gt;');
    expect(texts(render(row, 'none').message.blocks).join('\n')).not.toContain('last statement');
  });

  it('summarises a large forest within Slack limits, biggest roots first, and attaches the full detail', () => {
    const row = largeForestRow();
    const { message, detailText } = render(row);
    expect(message.blocks?.length).toBeLessThanOrEqual(50);
    for (const t of texts(message.blocks)) expect(t.length).toBeLessThanOrEqual(3000);
    expect(texts(message.blocks)[1 + 1]).toContain('pid 3900');
    expect(texts(message.blocks).join('\n')).toContain('…and 22 more root blockers');
    expect(detailText).not.toBeNull();
    for (let r = 0; r < 30; r += 1) expect(detailText).toContain(`Root: pid ${1000 + r * 100} `);
  });

  it('says exactly why the diagnosis could not run', () => {
    const { message } = renderDiagnosis({ kind: 'failed', database: 'main', reason: 'the diagnostic statement ran into its statement_timeout' }, 'main', 'redacted');
    expect(message.text).toContain('Could not inspect locks on main: the diagnostic statement ran into its statement_timeout');
  });

  it('formats durations as people read them', () => {
    expect([formatDuration(5_000), formatDuration(422_000), formatDuration(3_780_000)]).toEqual(['5s', '7m02s', '1h03m']);
  });
});

describe('snapshotSummary', () => {
  it('is JSON-able evidence: roots with state, ages, tables, counts and waiters', () => {
    const snapshot = snapshotSummary(buildForest(hotRow(3)), 'main', 'redacted');
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(snapshot.roots[0]).toMatchObject({
      pid: 1,
      user: 'app',
      application: 'billing',
      state: 'idle in transaction',
      inStateMs: 422_000,
      xactAgeMs: 430_000,
      holds: [{ relation: 'public.accounts', mode: 'RowExclusiveLock' }],
      blocksDirectly: 1,
      blocksTotal: 3,
      lastStatement: 'UPDATE accounts SET balance = ? WHERE id = ?',
    });
    expect(snapshot.roots[0]?.waiters.map((w) => w.count)).toEqual([1, 2]);
    expect(snapshot.suggestions).toHaveLength(2);
  });

  it('changes its picture key only when the roots or their counts change', () => {
    const key = (row: DiagnosisRow) => pictureKey(snapshotSummary(buildForest(row), 'main', 'redacted'));
    const later = hotRow(3);
    later.now = new Date(later.now.getTime() + 15_000);
    expect(key(later)).toBe(key(hotRow(3)));
    expect(key(hotRow(4))).not.toBe(key(hotRow(3)));
  });
});
