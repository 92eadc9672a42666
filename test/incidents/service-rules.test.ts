import { beforeEach, describe, expect, it } from 'vitest';
import { UserError, type CommandContext } from '../../src/common/context.js';
import { IncidentService, type IncidentHooks } from '../../src/incidents/service.js';
import { createLogger } from '../../src/log.js';
import { SlackApiError, type SlackUser } from '../../src/ports/slack.js';
import { MemoryIncidents } from '../support/memory-incidents.js';

// The service's rules with its rows in memory and Slack scripted: no database, no HTTP.

const AMINA = 'U0AMINA01';
let sequence = 0;

function ctx(channelId: string, fields: Partial<CommandContext> = {}): CommandContext {
  sequence += 1;
  return { teamId: 'T1', userId: AMINA, channelId, receivedAt: new Date('2023-07-23T09:04:00Z'), requestId: `req-${sequence}`, ...fields };
}

class ScriptedSlack {
  readonly created: string[] = [];
  readonly archived: string[] = [];
  /** Answers to the next createChannel calls, in order; a channel once they run out. */
  readonly answers: (Error | null)[] = [];
  readonly existing = new Map<string, { id: string; name: string; isArchived: boolean }>();

  async createChannel(name: string): Promise<{ id: string; name: string }> {
    this.created.push(name);
    const answer = this.answers.shift();
    if (answer) throw answer;
    return { id: `C${this.created.length}`, name };
  }

  async findChannelByName(name: string) {
    return this.existing.get(name) ?? null;
  }

  async archiveChannel(channelId: string): Promise<void> {
    this.archived.push(channelId);
  }
}

let memory: MemoryIncidents;
let slack: ScriptedSlack;
let users: Map<string, SlackUser>;
let hooks: IncidentHooks;
let service: IncidentService;

beforeEach(() => {
  memory = new MemoryIncidents();
  slack = new ScriptedSlack();
  users = new Map([[AMINA, { id: AMINA, tz: 'Africa/Nairobi', isBot: false, deleted: false }]]);
  hooks = {};
  service = new IncidentService({
    store: memory.store,
    slack,
    users: { get: async (id) => users.get(id) ?? null },
    effects: memory.effects,
    settings: { timezone: 'Africa/Nairobi', channelPrefix: 'inc' },
    log: createLogger('silent'),
    hooks: {
      opened: (db, incident) => hooks.opened?.(db, incident) ?? Promise.resolve(),
      afterOpen: (incident) => hooks.afterOpen?.(incident) ?? Promise.resolve(),
      closed: (db, incident) => hooks.closed?.(db, incident) ?? Promise.resolve(),
    },
  });
});

describe('opening an incident', () => {
  it('takes the next name when Slack says a name is taken, recording each name before asking for it', async () => {
    slack.answers.push(new SlackApiError('conversations.create', 'name_taken'), new SlackApiError('conversations.create', 'name_taken'));
    const reply = await service.open(ctx('C0GENERAL'), { title: 'Orders table locked', severity: 1 });

    expect(slack.created).toHaveLength(3);
    expect(new Set(slack.created).size).toBe(3);
    const incident = memory.incident(1)!;
    expect(incident.state).toBe('open');
    expect(incident.channelName).toBe(slack.created[2]);
    expect(reply.text).toBe(':rotating_light: Opened incident #1 (SEV1) in <#C3>.');
    expect(memory.addedEffects.map((effect) => effect.kind)).toEqual(['slack.invite', 'incident.topic', 'incident.card']);
    expect(memory.woken).toEqual(['C3']);
  });

  it('marks the incident failed and says so when Slack refuses the channel for good', async () => {
    slack.answers.push(new SlackApiError('conversations.create', 'restricted_action'));
    await expect(service.open(ctx('C0GENERAL'), { title: 'Orders table locked', severity: 2 })).rejects.toThrow(
      new UserError('Slack refused to create the incident channel (restricted_action), so no incident was opened. Try again.'),
    );
    expect(memory.incident(1)).toMatchObject({ state: 'failed', problems: ['channel not created: restricted_action'] });
    expect(memory.addedEffects).toEqual([]);
  });

  it('leaves the incident opening when Slack is only unavailable, so the retry finishes it with the name it recorded', async () => {
    const request = ctx('C0GENERAL');
    slack.answers.push(new SlackApiError('conversations.create', 'service_unavailable'));
    await expect(service.open(request, { title: 'Orders table locked', severity: 2 })).rejects.toThrow(/service_unavailable/);
    expect(memory.incident(1)?.state).toBe('opening');

    // Slack did make the channel before failing to answer: the retry takes it instead of a second one.
    const name = memory.incident(1)!.channelName!;
    slack.existing.set(name, { id: 'C0MADE', name, isArchived: false });
    const reply = await service.open(request, { title: 'Orders table locked', severity: 2 });
    expect(reply.text).toContain('<#C0MADE>');
    expect(slack.created).toEqual([name]);
  });

  it('answers a redelivered request with the incident it already opened, creating nothing', async () => {
    const request = ctx('C0GENERAL');
    await service.open(request, { title: 'Orders table locked', severity: 2 });
    const again = await service.open(request, { title: 'Orders table locked', severity: 2 });
    expect(again.text).toBe('Incident #1 is open in <#C1>.');
    expect(slack.created).toHaveLength(1);
  });

  it('hands the opened incident to after-open work once it is recorded, and still answers when that work fails', async () => {
    const seen: string[] = [];
    hooks.afterOpen = async (incident) => {
      seen.push(`${incident.id}:${memory.incident(incident.id)?.state}:${memory.events.length}`);
      throw new Error('queue unavailable');
    };
    const reply = await service.open(ctx('C0GENERAL'), { title: 'Orders table locked', severity: 1 });
    expect(seen).toEqual(['1:open:1']);
    expect(reply.text).toContain('Opened incident #1');
  });

  it('records nothing of the opening when a hook fails inside its transaction', async () => {
    hooks.opened = async () => {
      throw new Error('escalation policy missing');
    };
    const afterOpen: number[] = [];
    hooks.afterOpen = async (incident) => {
      afterOpen.push(incident.id);
    };
    await expect(service.open(ctx('C0GENERAL'), { title: 'Orders table locked', severity: 2 })).rejects.toThrow(/policy missing/);
    expect(afterOpen).toEqual([]);
    expect(memory.incident(1)?.state).toBe('opening');
    expect(memory.events).toEqual([]);
    expect(memory.addedEffects).toEqual([]);
    expect(memory.woken).toEqual([]);
  });
});

describe('changing an incident', () => {
  it('refuses a status it already has, and changes nothing', async () => {
    memory.seedOpen({ channelId: 'C0INC', status: 'identified' });
    await expect(service.setStatus(ctx('C0INC'), 'identified', '')).rejects.toThrow('The status is already identified.');
    expect(memory.events).toEqual([]);
  });

  it('refuses any change once the incident is closed', async () => {
    memory.seedOpen({ channelId: 'C0INC', state: 'closed', status: 'resolved' });
    await expect(service.setSeverity(ctx('C0INC'), 1)).rejects.toThrow('Incident #1 is closed; it cannot be changed any more.');
    expect(memory.addedEffects).toEqual([]);
  });

  it('points elsewhere when typed outside an incident channel', async () => {
    await expect(service.setStatus(ctx('C0GENERAL'), 'identified', '')).rejects.toThrow(/not an incident channel/);
  });

  it('owes the card, the topic and one announcement per change, keyed by version and request', async () => {
    memory.seedOpen({ channelId: 'C0INC' });
    const request = ctx('C0INC');
    expect((await service.setStatus(request, 'identified', 'idle in transaction')).text).toBe('Recorded.');
    expect(memory.addedEffects.map((effect) => effect.key)).toEqual(['card:1:v2', 'topic:1:v2', `announce:${request.requestId}`]);
    expect(memory.events.map((event) => event.text)).toEqual(['Status investigating → identified: idle in transaction']);

    // Slack delivers the same request again: recorded once.
    expect((await service.setStatus(request, 'identified', 'idle in transaction')).text).toBe('Recorded.');
    expect(memory.events).toHaveLength(1);
    expect(memory.incident(1)?.version).toBe(2);
  });

  it.each([
    ['a bot', { isBot: true, deleted: false }, 'is a bot; pick a person to lead.'],
    ['a deactivated user', { isBot: false, deleted: true }, 'is deactivated and cannot lead.'],
  ])('does not let %s lead', async (_who, flags, message) => {
    memory.seedOpen({ channelId: 'C0INC' });
    users.set('U0OTHER01', { id: 'U0OTHER01', tz: null, ...flags });
    await expect(service.setLead(ctx('C0INC'), 'U0OTHER01')).rejects.toThrow(`<@U0OTHER01> ${message}`);
    expect(memory.incident(1)?.leadUserId).toBeNull();
  });

  it('invites the new lead and leaves the topic alone', async () => {
    memory.seedOpen({ channelId: 'C0INC' });
    users.set('U0NOAH001', { id: 'U0NOAH001', tz: 'Europe/Berlin', isBot: false, deleted: false });
    await service.setLead(ctx('C0INC'), 'U0NOAH001');
    expect(memory.addedEffects.map((effect) => effect.kind)).toEqual(['incident.card', 'slack.post', 'slack.invite']);
  });

  it('closes with how long it took, and hands the closed incident to the close hook in the same transaction', async () => {
    memory.seedOpen({ channelId: 'C0INC', openedAt: new Date('2023-07-23T09:04:00Z') });
    const closedSeen: string[] = [];
    hooks.closed = async (_db, incident) => {
      closedSeen.push(`${incident.state}/${incident.status}`);
    };
    await service.close(ctx('C0INC', { receivedAt: new Date('2023-07-23T10:47:00Z') }), 'terminated pid 4242');
    expect(closedSeen).toEqual(['closed/resolved']);
    const announce = memory.addedEffects.find((effect) => effect.kind === 'slack.post');
    expect(JSON.stringify(announce?.payload)).toContain('closed this incident after 1h 43m. Summary: terminated pid 4242');
  });
});
