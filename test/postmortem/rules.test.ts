import { beforeEach, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../src/common/context.js';
import type { Incident } from '../../src/incidents/model.js';
import { PostmortemCommands } from '../../src/postmortem/command.js';
import { PUBLISH_KIND, sources } from '../../src/postmortem/effect.js';
import { compile } from '../../src/postmortem/service.js';
import type { Queryable } from '../../src/store/queryable.js';
import { MemoryPostmortem } from '../support/memory-postmortem.js';

// The postmortem's rules with its rows in memory: no database, no Slack.

const AMINA = 'U0AMINA01';
const BOT = 'U0FIREBOT';
const INCIDENT: Incident = {
  id: 7,
  teamId: 'T1',
  title: 'Orders table locked',
  severity: 2,
  status: 'resolved',
  state: 'closed',
  leadUserId: AMINA,
  openedBy: AMINA,
  openedAt: new Date('2023-07-23T09:04:00Z'),
  closedAt: new Date('2023-07-23T10:47:00Z'),
  closeSummary: 'terminated pid 4242',
  originChannelId: 'C0GENERAL',
  channelId: 'C0INC',
  channelName: 'inc-20230723-orders-table-locked',
  cardTs: null,
  problems: [],
  version: 5,
};
const SETTINGS = { zone: 'Africa/Nairobi', clock: '24h' as const, workspaceUrl: null, userNames: {} };

function ctx(requestId: string): CommandContext {
  return { teamId: 'T1', userId: AMINA, channelId: 'C0INC', receivedAt: new Date('2023-07-23T11:00:00Z'), requestId };
}

let memory: MemoryPostmortem;
let commands: PostmortemCommands;

beforeEach(() => {
  memory = new MemoryPostmortem();
  memory.seedIncident(INCIDENT);
  commands = new PostmortemCommands({ store: memory.store, effects: memory.effects });
});

describe('queuing the draft', () => {
  it('queues one draft in the transaction that closes the incident, however often the close is re-run', async () => {
    const closing = {} as Queryable;
    await commands.closed(closing, INCIDENT);
    await commands.closed(closing, INCIDENT);
    expect(memory.queued).toHaveLength(1);
    expect(memory.queued[0]?.db).toBe(closing);
    expect(memory.queued[0]?.effect).toMatchObject({ kind: PUBLISH_KIND, lane: 'C0INC', incidentId: 7, payload: { requestedBy: null } });
  });

  it('queues one recompile per /incident postmortem request, a redelivered request none more, and wakes the channel', async () => {
    await commands.closed({} as Queryable, INCIDENT);
    const reply = await commands.republish(ctx('req-1'), INCIDENT);
    await commands.republish(ctx('req-1'), INCIDENT);
    await commands.republish(ctx('req-2'), INCIDENT);

    expect(reply.text).toContain('Recompiling the postmortem draft of incident #7');
    expect(memory.queued.map((q) => q.effect.key)).toEqual(['postmortem:7:close', 'postmortem:7:request:req-1', 'postmortem:7:request:req-2']);
    expect(memory.queued.slice(1).map((q) => q.effect.payload)).toEqual([{ requestedBy: AMINA }, { requestedBy: AMINA }]);
    expect(memory.woken).toEqual(['C0INC', 'C0INC', 'C0INC']);
  });
});

describe('compiling the draft', () => {
  it("leaves the bot's own posts out, keeps the version when nothing changed, and says what a new one changed", async () => {
    memory.note(7, new Date('2023-07-23T09:10:00Z'), 'pid 4242 holds the row lock');
    memory.said('C0INC', '1690103100.000100', AMINA, 'orders are timing out');
    memory.said('C0INC', '1690103160.000200', BOT, 'Status changed by the card buttons');

    const first = await compile(sources(memory.store, [BOT]), SETTINGS, 7, null);
    expect(first).toMatchObject({ created: true, changes: 'first draft', version: { version: 1 } });
    expect(first.version.markdown).toContain('orders are timing out');
    expect(first.version.markdown).not.toContain('Status changed by the card buttons');

    expect(await compile(sources(memory.store, [BOT]), SETTINGS, 7, AMINA)).toMatchObject({ created: false, changes: 'no changes', version: { version: 1 } });

    memory.said('C0INC', '1690110000.000300', AMINA, 'follow-up: set idle_in_transaction_session_timeout');
    const second = await compile(sources(memory.store, [BOT]), SETTINGS, 7, AMINA);
    expect(second.version.version).toBe(2);
    expect(second.changes).toMatch(/^1 more channel message; sections changed: /);
    expect(memory.versions.map((v) => [v.version, v.createdBy])).toEqual([[1, null], [2, AMINA]]);
  });
});
