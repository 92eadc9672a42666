import { describe, expect, it } from 'vitest';
import { escapeBlock, escapeInline, mermaidLabel } from '../../src/postmortem/escape.js';

describe('text people typed, in the postmortem', () => {
  it.each([
    ['# not a heading', '\\# not a heading'],
    ['- not a list', '\\- not a list'],
    ['+ not a list', '\\+ not a list'],
    ['1. not a list', '1\\. not a list'],
    ['> not a quote', '&gt; not a quote'],
    ['a | b | c', 'a \\| b \\| c'],
    ['```rm -rf```', '\\`\\`\\`rm -rf\\`\\`\\`'],
    ['[click](https://evil.example)', '\\[click\\](https://evil.example)'],
    ['<img src=x onerror=alert(1)>', '&lt;img src=x onerror=alert(1)&gt;'],
    ['*bold* _it_ ~gone~', '\\*bold\\* \\_it\\_ \\~gone\\~'],
    ['AT&T &lt;', 'AT&amp;T &amp;lt;'],
    ['line one\n## line two', 'line one \\#\\# line two'],
  ])('%j stays text: %j', (typed, escaped) => {
    expect(escapeInline(typed)).toBe(escaped);
  });

  it('keeps paragraphs of a longer text, each line escaped', () => {
    expect(escapeBlock('# one\n\n\n- two')).toBe('\\# one\n\n\\- two');
  });

  it('keeps Mermaid labels inside its grammar', () => {
    expect(mermaidLabel('a: b; #c')).toBe('a b c');
  });
});
