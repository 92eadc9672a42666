import { describe, expect, it } from 'vitest';
import { describeChanges, summarise } from '../../src/postmortem/diff.js';

const draft = (timeline: string): string => `# Postmortem\n\n## Incident Summary\n\nsame\n\n## Incident Timeline\n\n${timeline}\n`;

describe('what changed between versions', () => {
  it('names the sections that changed and counts the entries and messages added', () => {
    const before = summarise(draft('- 12:34 one'), [1, 2], 10);
    const after = summarise(draft('- 12:34 one\n- 13:17 two'), [1, 2, 3], 12);
    expect(describeChanges(before, after)).toBe('1 timeline entry added; 2 more channel messages; sections changed: Incident Timeline');
  });

  it('says so when it is the first draft, or nothing changed', () => {
    const s = summarise(draft('x'), [1], 0);
    expect(describeChanges(null, s)).toBe('first draft');
    expect(describeChanges(s, summarise(draft('x'), [1], 0))).toBe('no changes');
  });
});
