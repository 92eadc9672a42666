import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, verifySlackRequest, webApi } from '@slack/bolt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSlack, type FakeSlack } from './fake-slack.js';
import { SlackDriver } from './slack-driver.js';

const SECRET = 'test-signing-secret';

let fake: FakeSlack;

beforeEach(async () => {
  fake = await startFakeSlack();
  fake.addUser({ id: 'U0ALICE', name: 'alice', tz: 'Africa/Nairobi' });
  fake.addUser({ id: 'U0BOB', name: 'bob', tz: 'America/New_York' });
});

afterEach(async () => {
  await fake.close();
});

const noop = (): void => undefined;
/** The SDK logs every error answer; these tests provoke them on purpose. */
const quiet = {
  debug: noop, info: noop, warn: noop, error: noop, setLevel: noop, setName: noop,
  getLevel: () => webApi.LogLevel.ERROR,
};

function web(options: ConstructorParameters<typeof webApi.WebClient>[1] = {}): webApi.WebClient {
  return new webApi.WebClient(fake.botToken, { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logger: quiet, ...options });
}

/** The `error` of a failed Web API call made with @slack/web-api. */
async function apiError(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    const data = (error as { data?: { error?: unknown } }).data;
    if (typeof data?.error === 'string') return data.error;
    throw error;
  }
  throw new Error('the call succeeded');
}

async function raw(method: string, body: string, headers: Record<string, string>): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const res = await fetch(`${fake.apiUrl}${method}`, { method: 'POST', body, headers });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> };
}

async function incidentChannel(client = web()): Promise<string> {
  const created = await client.conversations.create({ name: 'inc-20230723-db-locks' });
  return created.channel?.id ?? '';
}

describe('fake Slack Web API', () => {
  it('requires a bot token: not_authed without one, invalid_auth for an unknown one', async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect((await raw('auth.test', '', form)).json).toEqual({ ok: false, error: 'not_authed' });
    expect((await raw('auth.test', '', { ...form, authorization: 'Bearer xoxb-nope' })).json).toEqual({ ok: false, error: 'invalid_auth' });
    expect((await raw('auth.test', `token=${fake.botToken}`, form)).json.ok).toBe(true);
    const auth = await web().auth.test();
    expect(auth).toMatchObject({ ok: true, team_id: fake.teamId, user_id: fake.botUserId, bot_id: fake.botId });
    expect(await apiError(web().apiCall('no.such.method'))).toBe('unknown_method');
  });

  it('accepts JSON bodies as well as the form bodies the SDK sends, and logs parsed arguments', async () => {
    const channel = await incidentChannel();
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }];
    const res = await raw('chat.postMessage', JSON.stringify({ channel, text: 'json', blocks }), {
      'content-type': 'application/json; charset=utf-8', authorization: `Bearer ${fake.botToken}`,
    });
    expect(res.json).toMatchObject({ ok: true, channel, message: { text: 'json', blocks, bot_id: fake.botId } });
    await web().chat.postMessage({ channel, text: 'form', blocks });
    const calls = fake.calls('chat.postMessage');
    expect(calls.map((c) => c.args.blocks)).toEqual([blocks, blocks]);
    expect(calls[1]?.args.token).toBeUndefined();
    expect(fake.messages(channel).map((m) => m.text)).toEqual(['json', 'form']);
  });

  it('creates channels under Slack name rules, the bot a member', async () => {
    const client = web();
    const created = await client.conversations.create({ name: 'inc-20230723-db_locks' });
    expect(created.channel).toMatchObject({
      name: 'inc-20230723-db_locks', is_channel: true, is_private: false, is_archived: false, creator: fake.botUserId,
      is_member: true, topic: { value: '' }, purpose: { value: '' },
    });
    expect(created.channel?.id).toMatch(/^C[0-9A-Z]+$/);
    expect(fake.members(created.channel?.id ?? '')).toEqual([fake.botUserId]);

    expect(await apiError(client.conversations.create({ name: '' }))).toBe('invalid_name_required');
    expect(await apiError(client.conversations.create({ name: 'Inc-Upper' }))).toBe('invalid_name_specials');
    expect(await apiError(client.conversations.create({ name: 'inc db' }))).toBe('invalid_name_specials');
    expect(await apiError(client.conversations.create({ name: 'inc.db' }))).toBe('invalid_name_specials');
    expect(await apiError(client.conversations.create({ name: 'a'.repeat(81) }))).toBe('invalid_name_maxlength');
    expect(await apiError(client.conversations.create({ name: '-_-' }))).toBe('invalid_name_punctuation');
    await client.conversations.create({ name: 'a'.repeat(80) });
    expect(await apiError(client.conversations.create({ name: 'inc-20230723-db_locks' }))).toBe('name_taken');

    const secret = await client.conversations.create({ name: 'inc-private', is_private: true });
    expect(secret.channel).toMatchObject({ is_private: true, is_channel: true, is_member: true });
    const hidden = fake.addChannel({ name: 'hr-private', is_private: true, members: ['U0ALICE'] });
    expect(await apiError(client.conversations.info({ channel: hidden.id }))).toBe('channel_not_found');
    expect(await apiError(client.conversations.create({ name: 'hr-private' }))).toBe('name_taken');

    fake.addChannel({ name: 'old-incident', is_archived: true });
    expect(await apiError(client.conversations.create({ name: 'old-incident' }))).toBe('name_taken');
  });

  it('invites with Slack errors and records joins as system messages', async () => {
    const client = web();
    const channel = await incidentChannel(client);
    await client.conversations.invite({ channel, users: 'U0ALICE,U0BOB' });
    expect(fake.members(channel)).toEqual([fake.botUserId, 'U0ALICE', 'U0BOB']);
    expect(await apiError(client.conversations.invite({ channel, users: 'U0ALICE' }))).toBe('already_in_channel');
    fake.addUser({ id: 'U0CAROL', name: 'carol', tz: 'UTC' });
    // One bad user fails the whole call unless `force` is set.
    expect(await apiError(client.conversations.invite({ channel, users: 'U0ALICE,U0CAROL' }))).toBe('already_in_channel');
    expect(fake.members(channel)).not.toContain('U0CAROL');
    const forced = await client.conversations.invite({ channel, users: 'U0ALICE,U0CAROL', force: true });
    expect(forced).toMatchObject({ ok: true, errors: [{ user: 'U0ALICE', error: 'already_in_channel' }] });
    expect(await apiError(client.conversations.invite({ channel, users: 'U0NOBODY' }))).toBe('user_not_found');
    expect(await apiError(client.conversations.invite({ channel, users: fake.botUserId }))).toBe('cant_invite_self');
    expect(await apiError(client.conversations.invite({ channel: 'C0MISSING', users: 'U0ALICE' }))).toBe('channel_not_found');
    const general = fake.addChannel({ name: 'general', members: ['U0ALICE'] });
    expect(await apiError(client.conversations.invite({ channel: general.id, users: 'U0BOB' }))).toBe('not_in_channel');

    expect(fake.messages(channel)).toEqual([]);
    expect(fake.messages(channel, { includeSystem: true }).map((m) => [m.subtype, m.user])).toEqual([
      ['channel_join', fake.botUserId], ['channel_join', 'U0ALICE'], ['channel_join', 'U0BOB'], ['channel_join', 'U0CAROL'],
    ]);
  });

  it('sets topics (≤ 250 chars, members only), joins and archives', async () => {
    const client = web();
    const channel = await incidentChannel(client);
    const topic = await client.conversations.setTopic({ channel, topic: 'SEV1 | lead: <@U0ALICE>' });
    expect(topic.channel?.topic?.value).toBe('SEV1 | lead: <@U0ALICE>');
    expect(await apiError(client.conversations.setTopic({ channel, topic: 'x'.repeat(251) }))).toBe('too_long');
    const general = fake.addChannel({ name: 'general', members: ['U0ALICE'] });
    expect(await apiError(client.conversations.setTopic({ channel: general.id, topic: 'x' }))).toBe('not_in_channel');
    expect(await apiError(client.chat.postMessage({ channel: general.id, text: 'hi' }))).toBe('not_in_channel');
    await client.conversations.join({ channel: general.id });
    await client.chat.postMessage({ channel: 'general', text: 'by name' });
    expect(fake.messages(general.id).map((m) => m.text)).toEqual(['by name']);

    await client.conversations.archive({ channel });
    expect(fake.channel(channel)?.is_archived).toBe(true);
    expect(await apiError(client.chat.postMessage({ channel, text: 'late' }))).toBe('is_archived');
    expect(await apiError(client.conversations.archive({ channel }))).toBe('already_archived');
  });

  it('posts, updates and rejects messages as Slack does', async () => {
    const client = web();
    const channel = await incidentChannel(client);
    const posted = await client.chat.postMessage({ channel, text: 'card', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'card' } }] });
    expect(posted.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(await apiError(client.chat.postMessage({ channel, text: '' }))).toBe('no_text');
    expect(await apiError(client.chat.postMessage({ channel, text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }] })))
      .toBe('invalid_blocks');

    await client.chat.update({ channel, ts: posted.ts ?? '', text: 'card v2' });
    const [card] = fake.messages(channel);
    expect(card).toMatchObject({ text: 'card v2', blocks: [{ type: 'section' }], edited: { user: fake.botUserId } });
    expect(await apiError(client.chat.update({ channel, ts: '1.000001', text: 'x' }))).toBe('message_not_found');
    const human = fake.postAsUser(channel, 'U0ALICE', 'mine');
    expect(await apiError(client.chat.update({ channel, ts: human.ts, text: 'x' }))).toBe('cant_update_message');

    const reply = await client.chat.postMessage({ channel, text: 'in thread', thread_ts: posted.ts ?? '' });
    expect(reply.message?.thread_ts).toBe(posted.ts);
    expect(fake.messages(channel)[0]).toMatchObject({ reply_count: 1, latest_reply: reply.ts });
  });

  it('opens a DM for a user id and records ephemerals', async () => {
    const client = web();
    const dm = await client.chat.postMessage({ channel: 'U0ALICE', text: 'You are paged' });
    expect(dm.channel).toMatch(/^D/);
    expect(fake.imWith('U0ALICE')).toBe(dm.channel);
    const opened = await client.conversations.open({ users: 'U0ALICE' });
    expect(opened.channel?.id).toBe(dm.channel);
    expect(fake.messages(dm.channel ?? '').map((m) => m.text)).toEqual(['You are paged']);

    const channel = await incidentChannel(client);
    expect(await apiError(client.chat.postEphemeral({ channel, user: 'U0ALICE', text: 'x' }))).toBe('user_not_in_channel');
    expect(await apiError(client.chat.postEphemeral({ channel, user: 'U0NOBODY', text: 'x' }))).toBe('user_not_found');
    await client.conversations.invite({ channel, users: 'U0ALICE' });
    const eph = await client.chat.postEphemeral({ channel, user: 'U0ALICE', text: 'only you' });
    expect(fake.ephemerals(channel, 'U0ALICE')).toEqual([expect.objectContaining({ text: 'only you', message_ts: eph.message_ts, source: 'api' })]);
  });

  it('pages history newest-first with cursors, honouring oldest/latest/inclusive', async () => {
    const client = web();
    const channel = await incidentChannel(client);
    const ts: string[] = [];
    for (let i = 0; i < 7; i++) ts.push(fake.postAsUser(channel, 'U0ALICE', `m${i}`).ts);
    fake.postAsUser(channel, 'U0BOB', 'reply', { thread_ts: ts[0] });

    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.conversations.history({ channel, limit: 3, ...(cursor ? { cursor } : {}) });
      pages++;
      seen.push(...(page.messages ?? []).filter((m) => m.subtype === undefined).map((m) => m.text ?? ''));
      expect(page.has_more).toBe(Boolean(page.response_metadata?.next_cursor));
      cursor = page.response_metadata?.next_cursor;
    } while (cursor);
    expect(pages).toBe(4); // 7 messages + the channel_join notices of the bot, Alice and Bob
    expect(seen).toEqual(['m6', 'm5', 'm4', 'm3', 'm2', 'm1', 'm0']);

    const range = await client.conversations.history({ channel, oldest: ts[2], latest: ts[4], inclusive: true });
    expect(range.messages?.map((m) => m.text)).toEqual(['m4', 'm3', 'm2']);
    const exclusive = await client.conversations.history({ channel, oldest: ts[2], latest: ts[4] });
    expect(exclusive.messages?.map((m) => m.text)).toEqual(['m3']);
    expect(await apiError(client.conversations.history({ channel, cursor: 'bogus' }))).toBe('invalid_cursor');

    const thread = await client.conversations.replies({ channel, ts: ts[0] ?? '' });
    expect(thread.messages?.map((m) => m.text)).toEqual(['m0', 'reply']);
    const general = fake.addChannel({ name: 'general' });
    expect(await apiError(client.conversations.history({ channel: general.id }))).toBe('not_in_channel');
  });

  it('paginates members, channel and user lists', async () => {
    const client = web();
    for (let i = 0; i < 5; i++) fake.addUser({ id: `U0P${i}`, name: `p${i}`, tz: 'UTC' });
    const channel = await incidentChannel(client);
    await client.conversations.invite({ channel, users: 'U0P0,U0P1,U0P2,U0P3,U0P4' });
    const members: string[] = [];
    for await (const page of client.paginate('conversations.members', { channel, limit: 2 })) {
      members.push(...((page as { members?: string[] }).members ?? []));
    }
    expect(members).toEqual([fake.botUserId, 'U0P0', 'U0P1', 'U0P2', 'U0P3', 'U0P4']);

    for (let i = 0; i < 3; i++) fake.addChannel({ name: `chan-${i}` });
    const first = await client.conversations.list({ limit: 2 });
    expect(first.channels).toHaveLength(2);
    const rest = await client.conversations.list({ limit: 10, cursor: first.response_metadata?.next_cursor ?? '' });
    expect(rest.response_metadata?.next_cursor).toBe('');
    expect([...(first.channels ?? []), ...(rest.channels ?? [])].map((c) => c.name).sort())
      .toEqual(['chan-0', 'chan-1', 'chan-2', 'inc-20230723-db-locks']);

    const users = await client.users.list({ limit: 3 });
    expect(users.members).toHaveLength(3);
    expect(users.response_metadata?.next_cursor).not.toBe('');
  });

  it('answers users.info with time-zone fields and expands usergroups', async () => {
    const client = web();
    const info = await client.users.info({ user: 'U0ALICE' });
    expect(info.user).toMatchObject({ id: 'U0ALICE', name: 'alice', tz: 'Africa/Nairobi', tz_offset: 10800, tz_label: 'East Africa Time', deleted: false, is_bot: false });
    expect(info.user?.profile?.display_name).toBe('alice');
    expect(await apiError(client.users.info({ user: 'U0NOBODY' }))).toBe('user_not_found');
    fake.addUsergroup('S0DBAS', ['U0ALICE', 'U0BOB']);
    expect((await client.usergroups.users.list({ usergroup: 'S0DBAS' })).users).toEqual(['U0ALICE', 'U0BOB']);
    expect(await apiError(client.usergroups.users.list({ usergroup: 'S0NONE' }))).toBe('no_such_subteam');
  });

  it('rate limits with HTTP 429 and Retry-After, which the SDK honours', async () => {
    fake.rateLimitNext('users.info', 1);
    const limited = await raw('users.info', 'user=U0ALICE', {
      'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${fake.botToken}`,
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.json).toEqual({ ok: false, error: 'ratelimited' });

    fake.rateLimitNext('users.info', 7);
    const rejected = await web({ rejectRateLimitedCalls: true }).users.info({ user: 'U0ALICE' }).catch((e: unknown) => e);
    expect(rejected).toMatchObject({ code: webApi.ErrorCode.RateLimitedError, retryAfter: 7 });

    fake.rateLimitNext('users.info', 1);
    const started = Date.now();
    const retried = await web({ retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 } }).users.info({ user: 'U0ALICE' });
    expect(retried.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.calls('users.info').map((c) => c.status)).toEqual([429, 429, 429, 200]);
  });

  it('injects failures and delays per method', async () => {
    const client = web();
    fake.failNext('conversations.create', 'restricted_action', 2);
    expect(await apiError(client.conversations.create({ name: 'a' }))).toBe('restricted_action');
    expect(await apiError(client.conversations.create({ name: 'a' }))).toBe('restricted_action');
    expect((await client.conversations.create({ name: 'a' })).ok).toBe(true);
    fake.delay('auth.test', 150);
    const started = Date.now();
    await client.auth.test();
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('takes files.uploadV2 end to end and refuses unknown or empty uploads', async () => {
    const client = web();
    const channel = await incidentChannel(client);
    await client.filesUploadV2({ channel_id: channel, filename: 'postmortem.md', title: 'Postmortem', content: '# Incident Summary\n', initial_comment: 'Draft' });
    expect(fake.files(channel)).toEqual([expect.objectContaining({ name: 'postmortem.md', title: 'Postmortem', content: '# Incident Summary\n', initial_comment: 'Draft' })]);
    expect(fake.messages(channel)).toEqual([expect.objectContaining({ subtype: 'file_share', text: 'Draft', files: [expect.objectContaining({ name: 'postmortem.md' })] })]);

    expect(await apiError(client.files.completeUploadExternal({ files: [{ id: 'F0NOPE' }], channel_id: channel }))).toBe('file_not_found');
    const pending = await client.files.getUploadURLExternal({ filename: 'x.md', length: 3 });
    expect(pending.upload_url).toBe(`${fake.url}/upload/${pending.file_id}`);
    expect(await apiError(client.files.completeUploadExternal({ files: [{ id: pending.file_id ?? '' }], channel_id: channel }))).toBe('file_not_found');
    expect(await apiError(client.apiCall('files.upload', { channels: channel, content: 'x' }))).toBe('method_deprecated');
  });

  it('takes the three upload steps by hand: reserve, raw bytes to the loopback URL, share into a channel or a thread', async () => {
    const client = web();
    expect(await apiError(client.files.getUploadURLExternal({ filename: '', length: 3 }))).toBe('invalid_arguments');
    expect(await apiError(client.apiCall('files.getUploadURLExternal', { filename: 'x.txt' }))).toBe('invalid_arguments');
    const channel = fake.addChannel({ name: 'ops', members: ['U0ALICE'] }).id;
    const parent = fake.postAsUser(channel, 'U0ALICE', 'the orders table is locked');

    const text = 'Root: pid 4242\n  - pid 4243 waits\n';
    const pending = await client.files.getUploadURLExternal({ filename: 'locks.txt', length: Buffer.byteLength(text) });
    expect(pending.upload_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/upload\/F/);
    const sent = await fetch(pending.upload_url!, { method: 'POST', body: text, headers: { 'content-type': 'application/octet-stream' } });
    expect([sent.status, await sent.text()]).toEqual([200, `OK - ${Buffer.byteLength(text)}`]);
    expect((await fetch(`${fake.url}/upload/F0NOPE`, { method: 'POST', body: 'x' })).status).toBe(404);

    const files: [{ id: string; title: string }] = [{ id: pending.file_id!, title: 'Lock picture' }];
    expect(await apiError(client.apiCall('files.completeUploadExternal', { files: [], channel_id: channel }))).toBe('invalid_arguments');
    // chat:write.public lets the bot post where it is not a member; a file share does not.
    expect(await apiError(client.files.completeUploadExternal({ files, channel_id: channel, initial_comment: 'Full detail' }))).toBe('not_in_channel');
    expect(fake.files(channel)).toEqual([]);
    await client.conversations.join({ channel });
    await client.files.completeUploadExternal({ files, channel_id: channel, initial_comment: 'Full detail' });
    expect(fake.files(channel)).toEqual([expect.objectContaining({ id: pending.file_id, name: 'locks.txt', title: 'Lock picture', content: text, initial_comment: 'Full detail' })]);
    const history = await client.conversations.history({ channel, limit: 1 });
    expect(history.messages?.[0]).toMatchObject({ subtype: 'file_share', text: 'Full detail', bot_id: fake.botId, files: [{ id: pending.file_id, mimetype: 'text/plain' }] });
    expect((await client.files.info({ file: pending.file_id! })).content).toBe(text);
    // A completed upload cannot be completed (shared) again.
    expect(await apiError(client.files.completeUploadExternal({ files, channel_id: channel }))).toBe('file_not_found');

    const reply = await client.files.getUploadURLExternal({ filename: 'more.txt', length: 2 });
    await fetch(reply.upload_url!, { method: 'POST', body: 'ok' });
    await client.files.completeUploadExternal({ files: [{ id: reply.file_id! }], channel_id: channel, thread_ts: parent.ts });
    expect(fake.messages(channel).at(-1)).toMatchObject({ subtype: 'file_share', thread_ts: parent.ts, files: [{ id: reply.file_id, title: 'more.txt' }] });
    expect(fake.files(channel).map((f) => f.name)).toEqual(['locks.txt', 'more.txt']);
  });

  it('opens views only with a fresh, unused trigger', async () => {
    let now = Date.parse('2023-07-23T09:00:00Z');
    const clocked = await startFakeSlack({ now: () => now });
    try {
      const client = new webApi.WebClient(clocked.botToken, { slackApiUrl: clocked.apiUrl, retryConfig: { retries: 0 }, logger: quiet });
      const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Open an incident' }, blocks: [] };
      const trigger = clocked.issueTrigger('U0ALICE');
      const opened = await client.views.open({ trigger_id: trigger, view });
      expect(opened.view?.id).toMatch(/^V/);
      expect(clocked.openedViews()).toEqual([expect.objectContaining({ userId: 'U0ALICE', triggerId: trigger })]);
      expect(await apiError(client.views.open({ trigger_id: trigger, view }))).toBe('exchanged_trigger_id');
      expect(await apiError(client.views.open({ trigger_id: '1.2.abc', view }))).toBe('invalid_trigger_id');
      const late = clocked.issueTrigger('U0ALICE');
      now += 3001;
      expect(await apiError(client.views.open({ trigger_id: late, view }))).toBe('expired_trigger_id');
      const long = { ...view, title: { type: 'plain_text' as const, text: 'x'.repeat(25) } };
      expect(await apiError(client.views.open({ trigger_id: clocked.issueTrigger('U0ALICE'), view: long }))).toBe('invalid_arguments');
    } finally {
      await clocked.close();
    }
  });

  it('issues unique, increasing Slack timestamps from its clock', async () => {
    const clocked = await startFakeSlack({ now: () => 1690107420_000 });
    try {
      const channel = clocked.addChannel({ name: 'c', members: [clocked.botUserId] }).id;
      const client = new webApi.WebClient(clocked.botToken, { slackApiUrl: clocked.apiUrl, logger: quiet });
      const stamps = await Promise.all(Array.from({ length: 20 }, () => client.chat.postMessage({ channel, text: 'x' }).then((r) => r.ts ?? '')));
      expect(new Set(stamps).size).toBe(20);
      expect(stamps.every((ts) => ts.startsWith('1690107420.'))).toBe(true);
      const ordered = clocked.messages(channel).map((m) => m.ts);
      expect([...ordered].sort()).toEqual(ordered);
    } finally {
      await clocked.close();
    }
  });

  it('records response_url posts and applies them to the workspace', async () => {
    const channel = await incidentChannel();
    const posted = await web().chat.postMessage({ channel: 'U0ALICE', text: 'page', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'ack', text: { type: 'plain_text', text: 'Acknowledge' } }] }] });
    const hook = fake.issueResponseUrl({ channelId: posted.channel ?? '', userId: 'U0ALICE', messageTs: posted.ts ?? '' });
    const post = (body: unknown): Promise<Response> => fetch(hook.url, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    expect((await post({ replace_original: true, text: 'Acknowledged by alice' })).status).toBe(200);
    expect(fake.messages(posted.channel ?? '')).toEqual([expect.objectContaining({ text: 'Acknowledged by alice' })]);
    expect(fake.messages(posted.channel ?? '')[0]?.blocks).toBeUndefined();

    const cmd = fake.issueResponseUrl({ channelId: channel, userId: 'U0ALICE' });
    await fetch(cmd.url, { method: 'POST', body: JSON.stringify({ text: 'Unknown subcommand' }), headers: { 'content-type': 'application/json' } });
    await fetch(cmd.url, { method: 'POST', body: JSON.stringify({ response_type: 'in_channel', text: 'Incident opened' }), headers: { 'content-type': 'application/json' } });
    expect(fake.responses(cmd.id).map((r) => r.body.text)).toEqual(['Unknown subcommand', 'Incident opened']);
    expect(fake.ephemerals(channel, 'U0ALICE')).toEqual([expect.objectContaining({ text: 'Unknown subcommand', source: 'response_url' })]);
    expect(fake.messages(channel).map((m) => m.text)).toEqual(['Incident opened']);
    expect((await fetch(`${fake.url}/response/nope`, { method: 'POST', body: '{}' })).status).toBe(404);
  });
});

interface Captured {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A stand-in for the bot: verifies signatures as Bolt does and records what arrived. */
async function startRecorder(): Promise<{ url: string; requests: Captured[]; server: Server }> {
  const requests: Captured[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ headers: req.headers, body });
      try {
        verifySlackRequest({
          signingSecret: SECRET, body,
          headers: { 'x-slack-signature': String(req.headers['x-slack-signature']), 'x-slack-request-timestamp': Number(req.headers['x-slack-request-timestamp']) },
        });
      } catch {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ got: body.length }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, server };
}

describe('SlackDriver', () => {
  let recorder: Awaited<ReturnType<typeof startRecorder>>;
  let driver: SlackDriver;

  beforeEach(async () => {
    recorder = await startRecorder();
    driver = new SlackDriver({ botUrl: recorder.url, signingSecret: SECRET, fake });
  });

  afterEach(async () => {
    driver.close();
    recorder.server.closeAllConnections();
    await new Promise((resolve) => recorder.server.close(resolve));
  });

  it('sends slash commands as Slack does, signed, with a live response_url and trigger_id', async () => {
    const general = fake.addChannel({ name: 'general', members: ['U0ALICE'] });
    const result = await driver.slashCommand({ text: 'open sev1 DB locks <!channel>', userId: 'U0ALICE', channelId: general.id });
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ got: expect.any(Number) });
    const [sent] = recorder.requests;
    expect(sent?.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(sent?.headers['x-slack-signature']).toMatch(/^v0=[0-9a-f]{64}$/);
    const form = new URLSearchParams(sent?.body);
    expect([...form.keys()]).toEqual(['token', 'team_id', 'team_domain', 'channel_id', 'channel_name', 'user_id', 'user_name', 'command', 'text', 'api_app_id', 'is_enterprise_install', 'response_url', 'trigger_id']);
    expect(Object.fromEntries(form)).toMatchObject({
      team_id: fake.teamId, channel_id: general.id, channel_name: 'general', user_id: 'U0ALICE', user_name: 'alice',
      command: '/incident', text: 'open sev1 DB locks <!channel>', response_url: result.responseUrl, trigger_id: result.triggerId,
    });

    await fetch(result.responseUrl, { method: 'POST', body: JSON.stringify({ text: 'ok' }), headers: { 'content-type': 'application/json' } });
    expect((await result.waitForResponses(1)).map((r) => r.body.text)).toEqual(['ok']);
    const views = await web().views.open({ trigger_id: result.triggerId, view: { type: 'modal', title: { type: 'plain_text', text: 'T' }, blocks: [] } });
    expect(views.ok).toBe(true);
  });

  it('produces signatures Bolt rejects when bad, stale or missing', async () => {
    for (const signature of ['bad', 'stale', 'none'] as const) {
      const res = await driver.event({ type: 'app_mention', user: 'U0ALICE', text: 'hi', channel: 'C1' }, { signature });
      expect(res.status, signature).toBe(401);
    }
    const body = 'a=b';
    const ts = Math.floor(Date.now() / 1000);
    expect(() => verifySlackRequest({ signingSecret: SECRET, body, headers: { 'x-slack-signature': driver.sign(body, ts), 'x-slack-request-timestamp': ts } })).not.toThrow();
  });

  it('wraps events in an event_callback envelope and marks retries', async () => {
    const channel = await incidentChannel();
    const msg = fake.postAsUser(channel, 'U0ALICE', 'db is on fire');
    const first = await driver.event(fake.reactAsUser(channel, msg.ts, 'U0BOB', 'pushpin'));
    await driver.event(fake.messageEvent(msg), { eventId: first.eventId, retryNum: 1, retryReason: 'http_timeout' });
    const [a, b] = recorder.requests.map((r) => ({ headers: r.headers, json: JSON.parse(r.body) as Record<string, unknown> }));
    expect(a?.json).toMatchObject({
      type: 'event_callback', team_id: fake.teamId, api_app_id: fake.appId, event_id: first.eventId,
      event: { type: 'reaction_added', user: 'U0BOB', reaction: 'pushpin', item: { type: 'message', channel, ts: msg.ts }, item_user: 'U0ALICE' },
      authorizations: [{ user_id: fake.botUserId, is_bot: true }],
    });
    expect(a?.headers['x-slack-retry-num']).toBeUndefined();
    expect(b?.json).toMatchObject({ event_id: first.eventId, event: { type: 'message', channel_type: 'channel', text: 'db is on fire', ts: msg.ts } });
    expect(b?.headers).toMatchObject({ 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' });
  });

  it('builds block_actions from the stored message and view_submission state', async () => {
    const posted = await web().chat.postMessage({
      channel: 'U0ALICE', text: 'page',
      blocks: [{ type: 'actions', block_id: 'page_actions', elements: [{ type: 'button', action_id: 'ack', value: 'inc-1', text: { type: 'plain_text', text: 'Acknowledge' } }] }],
    });
    const click = await driver.blockAction({ userId: 'U0ALICE', channelId: posted.channel ?? '', messageTs: posted.ts ?? '', actionId: 'ack' });
    const payload = JSON.parse(new URLSearchParams(recorder.requests[0]?.body).get('payload') ?? '{}') as Record<string, unknown>;
    expect(payload).toMatchObject({
      type: 'block_actions', user: { id: 'U0ALICE' }, team: { id: fake.teamId }, trigger_id: click.triggerId, response_url: click.responseUrl,
      container: { type: 'message', message_ts: posted.ts, channel_id: posted.channel },
      message: { ts: posted.ts, text: 'page' },
      actions: [{ action_id: 'ack', block_id: 'page_actions', value: 'inc-1', type: 'button', text: { text: 'Acknowledge' } }],
    });

    await driver.viewSubmission({ userId: 'U0ALICE', callbackId: 'open_incident', privateMetadata: '{"c":"C1"}', values: { title: { title_input: 'DB locks' }, sev: { sev_select: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'SEV1' }, value: 'sev1' } } } } });
    const submission = JSON.parse(new URLSearchParams(recorder.requests[1]?.body).get('payload') ?? '{}') as Record<string, unknown>;
    expect(submission).toMatchObject({
      type: 'view_submission', user: { id: 'U0ALICE' },
      view: { callback_id: 'open_incident', private_metadata: '{"c":"C1"}', state: { values: { title: { title_input: { type: 'plain_text_input', value: 'DB locks' } }, sev: { sev_select: { selected_option: { value: 'sev1' } } } } } },
    });
  });

  it('carries 100 concurrent requests over its keep-alive agent', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => driver.event({ type: 'app_mention', text: `n${i}`, user: 'U0ALICE', channel: 'C1' })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(new Set(results.map((r) => r.eventId)).size).toBe(100);
  });
});

describe('a Bolt app against the fake', () => {
  it('verifies, acks, responds and calls the Web API through SLACK_API_URL', async () => {
    const general = fake.addChannel({ name: 'general', members: ['U0ALICE', fake.botUserId] });
    const app = new App({ token: fake.botToken, signingSecret: SECRET, clientOptions: { slackApiUrl: fake.apiUrl }, logger: quiet });
    app.command('/incident', async ({ ack, command, respond, client }) => {
      await ack({ text: `got: ${command.text}` });
      await respond({ text: 'later' });
      await client.chat.postMessage({ channel: command.channel_id, text: `opened by <@${command.user_id}>` });
    });
    const server = (await app.start(0)) as Server;
    const driver = new SlackDriver({ botUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, signingSecret: SECRET, fake });
    try {
      const result = await driver.slashCommand({ text: 'open db', userId: 'U0ALICE', channelId: general.id });
      expect(result.status).toBe(200);
      expect(result.body).toEqual({ text: 'got: open db' });
      expect(fake.ephemerals(general.id, 'U0ALICE')).toEqual([expect.objectContaining({ text: 'got: open db', source: 'ack' })]);
      expect((await result.waitForResponses(1)).map((r) => r.body.text)).toEqual(['later']);
      await fake.waitFor(() => fake.messages(general.id).find((m) => m.text === 'opened by <@U0ALICE>'));
      expect((await driver.slashCommand({ text: 'x', userId: 'U0ALICE', channelId: general.id }, { signature: 'bad' })).status).toBe(401);
    } finally {
      driver.close();
      await app.stop();
    }
  });
});
