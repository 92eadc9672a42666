// The fake Slack (test/support/fake-slack.ts) in a process of its own, for bench/load.ts: Slack's
// work (taking response_url posts and Web API calls) must not share an event loop with the
// client that measures the acks. Driven over IPC (bench/fake-slack-remote.ts); the fake itself is
// unchanged: this script only builds it on a server it owns, so it can also watch that server's
// response_url posts and stamp when each one was answered.
//   forked by bench/fake-slack-remote.ts; no arguments
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { FakeSlack } from '../test/support/fake-slack.js';
import { slashCommandBody, slashCommandFields, DEFAULT_VERIFICATION_TOKEN } from '../test/support/fake-slack/payloads.js';
import { SlackState, type Identity } from '../test/support/fake-slack/state.js';
import type { FakeProcessRequest, FakeProcessMessage, PreparedCommand, EffectReport, FakeOps } from './fake-slack-remote.js';

const send = (message: FakeProcessMessage): void => {
  process.send?.(message);
};

if (process.send === undefined) {
  console.error('usage: forked by bench/fake-slack-remote.ts');
  process.exit(2);
}

const server = createServer({ keepAliveTimeout: 10_000 });
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen({ port: 0, host: '127.0.0.1', backlog: 1024 }, () => resolve());
});
const { port } = server.address() as AddressInfo;
const identity: Identity = {
  url: `http://127.0.0.1:${port}`,
  botToken: 'xoxb-0000000000-0000000000000-fakebottokenfirebreak',
  appToken: 'xapp-1-A0FIREBRK-0000000000000-fakeapptokenfirebreak',
  teamId: 'T0FIREBRK',
  teamDomain: 'firebreak-test',
  botUserId: 'U0FBBOT01',
  botId: 'B0FBBOT01',
  appId: 'A0FIREBRK',
  botName: 'firebreak',
};
const fake = new FakeSlack(server, new SlackState(identity, Date.now));

// Each response_url post, stamped (wall clock, sub-millisecond) once the fake has answered it,
// and sent to the parent in small batches so IPC does not cost a message per reply.
let stamped: [string, number][] = [];
let flushing: NodeJS.Timeout | null = null;
server.on('request', (req, res) => {
  const match = /^\/response\/([^/?]+)/.exec(req.url ?? '');
  if (match === null) return;
  const id = match[1]!;
  res.on('finish', () => {
    if (res.statusCode !== 200) return;
    stamped.push([id, performance.timeOrigin + performance.now()]);
    flushing ??= setTimeout(() => {
      send({ type: 'replies', items: stamped });
      stamped = [];
      flushing = null;
    }, 10);
  });
});

const ops: { [K in keyof FakeOps]: (args: Parameters<FakeOps[K]>[0]) => ReturnType<FakeOps[K]> } = {
  info: () => ({ apiUrl: fake.apiUrl, botToken: fake.botToken, pid: process.pid }),
  addUser: (spec) => {
    fake.addUser(spec);
    return null;
  },
  addChannel: (spec) => fake.addChannel(spec).id,
  /** Bodies as Slack sends them, each with its own trigger_id and response_url (unsigned: the client signs when it sends). */
  prepare: (commands) =>
    commands.map((c): PreparedCommand => {
      const hook = fake.issueResponseUrl({ channelId: c.channelId, userId: c.userId });
      const triggerId = fake.issueTrigger(c.userId);
      const app = { teamId: fake.teamId, teamDomain: fake.teamDomain, appId: fake.appId, botUserId: fake.botUserId, verificationToken: DEFAULT_VERIFICATION_TOKEN };
      const fields = slashCommandFields(
        { text: c.text, userId: c.userId, channelId: c.channelId },
        { teamId: fake.teamId, userName: fake.user(c.userId)?.name, channel: fake.channel(c.channelId), responseUrl: hook.url, triggerId },
      );
      return { body: slashCommandBody(app, fields), responseUrlId: hook.id, triggerId };
    }),
  /** The first line of the reply each response_url got (or null), to check it says what it should. */
  replyTexts: (ids) => {
    const wanted = new Set(ids);
    const texts = new Map<string, string>();
    for (const r of fake.responses()) if (wanted.has(r.responseUrlId) && !texts.has(r.responseUrlId)) texts.set(r.responseUrlId, String(r.body['text'] ?? ''));
    return ids.map((id) => texts.get(id)?.split('\n')[0] ?? null);
  },
  /** Which of these effect keys landed as messages (metadata), and card/topic calls past `since`. */
  effects: ({ channels, keys, since }): EffectReport => {
    const landed = new Map<string, number>();
    for (const channel of channels) {
      for (const m of fake.messages(channel)) {
        const key = m.metadata?.event_payload['key'];
        if (typeof key === 'string') landed.set(key, Number(m.ts) * 1000);
      }
    }
    const inChannels = new Set(channels);
    const counted = (method: string, skip: number) => fake.calls(method).slice(skip).filter((c) => c.ok && inChannels.has(String(c.args['channel'])));
    const updates = counted('chat.update', since.updates);
    const topics = counted('conversations.setTopic', since.topics);
    const times = [...updates, ...topics].map((c) => c.time);
    return { found: keys.map((k) => landed.get(k) ?? null), cardUpdates: updates.length, topics: topics.length, lastCallAt: times.length > 0 ? Math.max(...times) : null };
  },
  callCounts: () => ({ updates: fake.calls('chat.update').length, topics: fake.calls('conversations.setTopic').length }),
  /**
   * Web API calls Slack did not answer with ok (nothing is throttled here), but for inviting the
   * person who opened an incident: they created the channel, so Slack says already_in_channel.
   */
  failedCalls: () => fake.calls().filter((c) => !c.ok && c.error !== 'already_in_channel').map((c) => `${c.method}: ${c.error ?? c.status}`),
};

process.on('message', (message: FakeProcessRequest) => {
  const op = ops[message.op] as (args: unknown) => unknown;
  try {
    send({ type: 'result', id: message.id, ok: true, value: op(message.args) });
  } catch (error) {
    send({ type: 'result', id: message.id, ok: false, error: error instanceof Error ? error.message : String(error) });
  }
});
process.on('disconnect', () => {
  void fake.close().finally(() => process.exit(0));
});
send({ type: 'ready' });
