import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/common/context.js';
import { parseDuration } from '../../src/duration.js';
import { parseIncidentCommand } from '../../src/incidents/command.js';
import { parseLocksCommand } from '../../src/locks/command.js';
import { parseLockButton } from '../../src/locks/service.js';
import { decodeSlackText, escapeMrkdwn } from '../../src/text/mrkdwn.js';
import { parseLeadingTime } from '../../src/time/parse.js';

const RUNS = 10_000;

// Words people (and pasted logs) put in commands: subcommands, times, zones, mentions, markup.
const token = fc.oneof(
  fc.constantFrom(
    'open', 'note', 'status', 'severity', 'sev', 'lead', 'page', 'ack', 'oncall', 'timeline', 'close', 'postmortem',
    'list', 'help', 'sev1', 'sev4', 'sev9', 'SEV0', 'identified', 'tier', '2', '12:34pm', '13:17pm', '25:99', '00:00',
    'EAT', 'IST', 'UTC+5:30', 'GMT-3', '+05:45', 'Africa/Nairobi', 'Mars/Olympus', '2023-07-23', '2023-02-30',
    '2023-07-23T12:34+03:00', 'yesterday', 'ago', 'minutes', '<@U0ALICE01|alice>', '<!channel>', '<#C123|x>',
    '&lt;', '&amp;', '`', '```', '*', '_', '~', '\'; DROP TABLE incidents; --', '$1', '\u0000', '🔥', ':fire:',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
);
const commandText = fc.array(token, { maxLength: 8 }).map((words) => words.join(' '));

describe('command parsers never throw, and always say what is wrong', () => {
  it('/incident text: a typed command or an error with the right form', () => {
    fc.assert(
      fc.property(commandText, (text) => {
        const parsed = parseIncidentCommand(text);
        if (parsed.ok) expect(typeof parsed.command.kind).toBe('string');
        else {
          expect(parsed.error.length).toBeGreaterThan(0);
          expect(parsed.usage.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a note’s leading time: a time (or none) and the rest, or an error with a hint', () => {
    const now = new Date('2023-07-23T12:00:00Z');
    fc.assert(
      fc.property(commandText, fc.constantFrom(null, 'Africa/Nairobi', 'America/New_York', 'Asia/Kathmandu'), (text, userZone) => {
        const parsed = parseLeadingTime(text, { now, userZone, teamZone: 'UTC', aliases: { IST: 'Asia/Kolkata' } });
        if (parsed.ok) {
          if (parsed.time) expect(parsed.time.instant.getTime()).toBeLessThanOrEqual(now.getTime());
        } else {
          expect(parsed.error.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('/locks text: a typed command, or a UserError that shows the usage', () => {
    const locksText = fc.array(fc.oneof(fc.constantFrom('watch', 'stop', 'help', 'main', 'billing', 'a b', '--all', ';'), fc.string({ maxLength: 10 })), { maxLength: 5 });
    fc.assert(
      fc.property(locksText, (words) => {
        try {
          expect(['inspect', 'watch', 'watch-stop', 'help']).toContain(parseLocksCommand(words.join(' ')).kind);
        } catch (error) {
          expect(error).toBeInstanceOf(UserError);
          expect((error as UserError).usage).toContain('/locks');
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a /locks button value: what Firebreak put there, or null for anything else (a forged click)', () => {
    const value = fc.oneof(
      fc.string({ maxLength: 60 }),
      fc.json({ maxDepth: 2 }),
      fc.record({ db: fc.string(), pid: fc.oneof(fc.integer(), fc.double(), fc.string()), backendStart: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string()) }).map((v) => JSON.stringify(v)),
    );
    fc.assert(
      fc.property(value, (text) => {
        const parsed = parseLockButton(text);
        if (parsed !== null) {
          expect(Number.isInteger(parsed.pid)).toBe(true);
          expect(Number.isNaN(Date.parse(parsed.backendStart))).toBe(false);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('a configured duration: milliseconds, or null', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('30s', '5m', '1h30m', '0s', '1d', '-5m', '1.5h', '')), (text) => {
        const ms = parseDuration(text);
        if (ms !== null) expect(Number.isInteger(ms) && ms >= 0).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('text shown in Slack: decoded once and escaped once, nothing can become markup', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (typed) => {
        const shown = escapeMrkdwn(decodeSlackText(escapeMrkdwn(typed)));
        expect(shown).not.toMatch(/<[^&]/);
        expect(decodeSlackText(shown)).toBe(typed);
      }),
      { numRuns: RUNS },
    );
  });
});
