import pg from 'pg';
import { afterAll, beforeAll, it } from 'vitest';
import { settled, startHarness, type Harness } from './support/harness.js';

const counts = new Map<string, number>();
let counting = false;
const original = pg.Client.prototype.query;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
(pg.Client.prototype as any).query = function (this: pg.Client, ...args: any[]) {
  if (counting) {
    const text = typeof args[0] === 'string' ? args[0] : (args[0]?.text ?? '?');
    const key = String(text).replace(/\s+/g, ' ').slice(0, 110);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return (original as any).apply(this, args);
};

let h: Harness;
beforeAll(async () => {
  h = await startHarness('zzcount');
});
afterAll(async () => h?.stop());

it('counts', async () => {
  h.fake.addUser({ id: 'U0A1', name: 'a', tz: 'UTC' });
  const general = h.fake.addChannel({ name: 'general', members: ['U0A1'] }).id;
  const open = await h.driver.slashCommand({ text: 'open sev2 Count queries', userId: 'U0A1', channelId: general });
  const [opened] = await open.waitForResponses(1, 10_000);
  const channel = /<#(C\w+)>/.exec(String(opened!.body['text']))![1]!;
  await settled(h.db);
  for (const kind of ['note', 'status', 'timeline', 'list']) {
    counts.clear();
    await new Promise((r) => setTimeout(r, 1500));
    counting = true;
    const statuses = ['identified', 'monitoring', 'investigating'];
    for (let i = 0; i < 10; i++) {
      const text = kind === 'note' ? `note hello ${i}` : kind === 'status' ? `status ${statuses[i % 3]}` : kind;
      const c = await h.driver.slashCommand({ text, userId: 'U0A1', channelId: channel });
      await c.waitForResponses(1, 10_000);
    }
    await settled(h.db);
    counting = false;
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    console.log(`\n== ${kind}: ${total / 10} per command`);
    for (const [k, v] of [...counts].sort((a, b) => b[1] - a[1])) console.log(`${(v / 10).toFixed(1)}  ${k}`);
  }
}, 120_000);
