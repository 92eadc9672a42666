import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIncidentCommand } from '../../src/incidents/command.js';
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
