import { describe, expect, it } from 'vitest';
import { baseChannelName, channelNameCandidates, MAX_CHANNEL_NAME, slugify } from '../../src/incidents/channel-name.js';

const SLACK_NAME = /^[a-z0-9][a-z0-9_-]*$/;

describe('channel names', () => {
  it('uses the date in the configured zone, not UTC', () => {
    // 22:30 UTC on July 22 is already July 23 in Nairobi.
    const at = new Date('2023-07-22T22:30:00Z');
    expect(baseChannelName('inc', 'Database lock', at, 'Africa/Nairobi')).toBe('inc-20230723-database-lock');
    expect(baseChannelName('inc', 'Database lock', at, 'America/New_York')).toBe('inc-20230722-database-lock');
  });

  it.each([
    ['Checkout <!channel> failing!!', 'checkout-channel-failing'],
    ['Crème brûlée service down', 'creme-brulee-service-down'],
    [':fire: DB on fire :fire:', 'db-on-fire'],
    ['決済エラー', 'incident'],
  ])('slugifies %j to %j', (title, slug) => {
    expect(slugify(title, 60)).toBe(slug);
  });

  it('keeps long titles under Slack’s 80 characters with room for a suffix', () => {
    const name = baseChannelName('incident-prefix-xyz', 'word '.repeat(100), new Date(), 'UTC');
    expect(name.length).toBeLessThanOrEqual(MAX_CHANNEL_NAME - 7);
    expect(name).toMatch(SLACK_NAME);
    expect(name.endsWith('-')).toBe(false);
  });

  it('offers distinct valid candidates on collision', () => {
    const base = baseChannelName('inc', 'x'.repeat(200), new Date('2024-01-01T00:00:00Z'), 'UTC');
    const gen = channelNameCandidates(base, 123456, () => 'a1b2c3');
    const names = Array.from({ length: 7 }, () => gen.next().value as string);
    expect(names.slice(0, 6)).toEqual([base, `${base}-2`, `${base}-3`, `${base}-4`, `${base}-123456`, `${base}-a1b2c3`]);
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(MAX_CHANNEL_NAME);
      expect(name).toMatch(SLACK_NAME);
    }
  });
});
