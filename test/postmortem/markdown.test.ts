import { describe, expect, it } from 'vitest';
import { escapeMarkdown, slackToPlain, typedText } from '../../src/postmortem/markdown.js';

describe('text people typed, in the postmortem', () => {
  it.each([
    ['# not a heading', '\\# not a heading'],
    ['- not a list', '\\- not a list'],
    ['1. not a list', '1\\. not a list'],
    ['> not a quote', '\\> not a quote'],
    ['a | b | c', 'a \\| b \\| c'],
    ['```rm -rf```', '\\`\\`\\`rm -rf\\`\\`\\`'],
    ['[click](https://evil.example)', '\\[click\\](https://evil.example)'],
    ['<img src=x onerror=alert(1)>', '\\<img src=x onerror=alert(1)\\>'],
    ['*bold* _it_ ~gone~', '\\*bold\\* \\_it\\_ \\~gone\\~'],
    ['AT&T &lt;', 'AT&amp;T &amp;lt;'],
    ['line one\n## line two', 'line one / ## line two'],
  ])('%j stays text: %j', (typed, escaped) => {
    expect(escapeMarkdown(typed)).toBe(escaped);
  });

  it('turns Slack markup into readable words before escaping it', () => {
    expect(slackToPlain('<@U0AMINA01> see <#C0INC|inc-db> <!here> <https://grafana.example/d/1|dashboard>', { U0AMINA01: 'amina' })).toBe(
      '@amina see #inc-db @here dashboard (https://grafana.example/d/1)',
    );
    expect(typedText('<!channel> *ping*')).toBe('@channel \\*ping\\*');
  });
});
