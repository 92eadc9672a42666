import { expect, it } from 'vitest';
import { postmortemSchema } from '../../src/postmortem/settings.js';

it('defaults to a 24-hour clock and a canvas; rejects what it does not know', () => {
  expect(postmortemSchema.parse(undefined)).toEqual({ clock: '24h', canvas: true });
  expect(postmortemSchema.parse({ clock: '12h', canvas: false })).toEqual({ clock: '12h', canvas: false });
  expect(postmortemSchema.safeParse({ clock: '13h' }).success).toBe(false);
  expect(postmortemSchema.safeParse({ format: 'pdf' }).success).toBe(false);
});
