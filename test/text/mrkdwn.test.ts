import { describe, expect, it } from 'vitest';
import { decodeSlackText, escapeAndTruncate, escapeMrkdwn, truncate, truncateEscaped } from '../../src/text/mrkdwn.js';

describe('decodeSlackText', () => {
  it('gives back what was typed from what Slack sends', () => {
    expect(decodeSlackText('a &lt; b &amp; c &gt; d')).toBe('a < b & c > d');
  });

  it('decodes exactly the three entities Slack writes, once', () => {
    // The person typed "&lt;" literally: Slack sent "&amp;lt;".
    expect(decodeSlackText('&amp;lt;')).toBe('&lt;');
    expect(decodeSlackText('&quot;&#39;&nbsp;&AMP;')).toBe('&quot;&#39;&nbsp;&AMP;');
  });

  it('leaves Slack markup (mentions, links) alone', () => {
    expect(decodeSlackText('<@U123|amina> see <https://x.example/?a=1&amp;b=2|logs>')).toBe(
      '<@U123|amina> see <https://x.example/?a=1&b=2|logs>',
    );
  });

  it('round-trips with escapeMrkdwn', () => {
    for (const typed of ['a < b & c', '&lt;', '<!channel>', '&&&', 'x > y >> z']) {
      expect(decodeSlackText(escapeMrkdwn(typed))).toBe(typed);
    }
  });
});

describe('truncateEscaped', () => {
  it('keeps text that fits', () => {
    expect(truncateEscaped('&lt;abc', 7)).toBe('&lt;abc');
  });

  it('cuts to the limit, marking the cut', () => {
    const cut = truncateEscaped('abcdefghij', 5);
    expect(cut).toBe('abcd…');
  });

  it('never cuts inside an entity', () => {
    const escaped = escapeMrkdwn('<'.repeat(10));
    for (let max = 2; max < escaped.length; max++) {
      const cut = truncateEscaped(escaped, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut).toMatch(/^(?:&lt;)*…$/);
    }
  });

  it('does not mistake a typed ampersand for an entity', () => {
    expect(truncateEscaped('a &amp; b&amp;c', 10)).toBe('a &amp; b…');
  });

  it('does not split an emoji', () => {
    expect(truncate('ab🔥cd', 4)).toBe('ab…');
    expect(truncateEscaped('ab🔥cd', 4)).toBe('ab…');
  });
});

describe('escapeAndTruncate', () => {
  it('escapes first, so the limit holds for what Slack counts', () => {
    const text = escapeAndTruncate('<'.repeat(3_000), 2_500);
    expect(text.length).toBeLessThanOrEqual(2_500);
    expect(text).toMatch(/^(?:&lt;)+…$/);
  });

  it('leaves nothing Slack would act on', () => {
    expect(escapeAndTruncate('<!channel> & <@U1>', 100)).toBe('&lt;!channel&gt; &amp; &lt;@U1&gt;');
  });
});
