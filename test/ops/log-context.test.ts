import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger, tagLogs, withLogFields } from '../../src/log.js';
import { eventually, startHarness, type Harness } from '../support/harness.js';

type Line = Record<string, unknown>;

/** A pino destination that keeps every line, parsed. */
function capture(): { lines: Line[]; stream: Writable } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n')) if (text.trim()) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  return { lines, stream };
}

describe('log fields of the work under way', () => {
  it('carries fields into awaited calls, keeps concurrent work apart, and leaves other lines alone', async () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream);
    const work = (request: string, incident: number, wait: number) =>
      withLogFields({ request }, async () => {
        await new Promise((resolve) => setTimeout(resolve, wait));
        tagLogs({ incident });
        await new Promise((resolve) => setTimeout(resolve, wait));
        log.info(`done ${request}`);
      });
    await Promise.all([work('r1', 7, 20), work('r2', 8, 5)]);
    log.info('outside');
    tagLogs({ incident: 9 });
    log.info('still outside');

    const byMsg = Object.fromEntries(lines.map((line) => [line['msg'], line]));
    expect(byMsg['done r1']).toMatchObject({ request: 'r1', incident: 7 });
    expect(byMsg['done r2']).toMatchObject({ request: 'r2', incident: 8 });
    expect(byMsg['outside']).not.toHaveProperty('incident');
    expect(byMsg['still outside']).not.toHaveProperty('incident');
  });
});

describe('the bot’s log lines name the incident', () => {
  const { lines, stream } = capture();
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness('log_context', { log: createLogger('info', stream) });
  });
  afterAll(async () => {
    await h?.stop();
  });

  it('names the incident and the Slack request when a command in its channel has to be retried', async () => {
    h.fake.addUser({ id: 'U0AMINA01', name: 'amina', tz: 'Africa/Nairobi' });
    h.fake.addUser({ id: 'U0NOAH001', name: 'noah', tz: 'Europe/Berlin' });
    const general = h.fake.addChannel({ name: 'general', members: ['U0AMINA01', 'U0NOAH001'] }).id;
    const opened = await h.driver.slashCommand({ text: 'open sev2 Orders table locked', userId: 'U0AMINA01', channelId: general });
    await opened.waitForResponses(1, 5_000);
    const { rows } = await h.db.query<{ id: string; channel_id: string }>('SELECT id, channel_id FROM incidents');
    const incident = rows[0]!;

    // Slack cannot say who Noah is for a moment: the lead change fails once and is tried again.
    h.fake.failNext('users.info', 'internal_error');
    const lead = await h.driver.slashCommand({ text: 'lead <@U0NOAH001|noah>', userId: 'U0AMINA01', channelId: incident.channel_id });
    await lead.waitForResponses(1, 10_000);
    const retried = await eventually(async () => lines.find((line) => line['msg'] === 'Slack request not finished; will retry'));
    expect(retried).toMatchObject({ incident: Number(incident.id), request: expect.stringMatching(/^command:/) });
  });
});
