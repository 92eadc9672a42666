// Text people typed goes into the document as text: it must not open a heading, a list, a
// table cell, a code fence, HTML or a link, and Slack's mention tokens become readable words.

/**
 * Slack's `<@U…>`, `<!channel>`, `<#C…|name>`, `<url|label>` as words a reader understands. The
 * text is stored decoded (src/text/mrkdwn.ts decodeSlackText), so any other `<…>` is what the
 * person typed and stays, to be escaped.
 */
export function slackTokensToText(text: string, userNames: Readonly<Record<string, string>> = {}): string {
  return text.replace(/<([^<>]*)>/g, (_all, inner: string) => {
    const [target = '', label] = inner.split('|', 2);
    if (target.startsWith('@')) {
      const id = target.slice(1);
      return `@${label ?? userNames[id] ?? id}`;
    }
    if (target.startsWith('#')) return `#${label ?? target.slice(1)}`;
    if (target.startsWith('!subteam^')) return `@${label?.replace(/^@/, '') ?? target.slice('!subteam^'.length)}`;
    if (target.startsWith('!date^')) return label ?? target;
    if (target.startsWith('!')) return `@${target.slice(1)}`;
    if (!/^(https?|mailto|tel):/i.test(target)) return `<${inner}>`;
    return label !== undefined && label !== target ? `${label} (${target})` : target;
  });
}

// Characters CommonMark/GFM gives meaning to anywhere in a line (parentheses only after a `]`, which is escaped); `-`, `+` and `1.` only
// matter at its start, where they would open a list.
const SPECIAL = /[\\`*_[\]#|~>]/g;
const LIST_START = /^([-+=]|\d+[.)])/;
const HTML = /[<>&"]/g;
const ENTITY: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' };

/** One line of plain text, safe anywhere inline (list items, table cells, headings). */
export function escapeInline(text: string, userNames: Readonly<Record<string, string>> = {}): string {
  return slackTokensToText(text, userNames)
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .replace(HTML, (c) => ENTITY[c] ?? c)
    .replace(SPECIAL, (c) => `\\${c}`)
    .trim()
    .replace(LIST_START, (m) => `${m.slice(0, -1)}\\${m.slice(-1)}`);
}

/** Several lines of plain text as paragraphs: each line escaped, blank lines kept. */
export function escapeBlock(text: string, userNames: Readonly<Record<string, string>> = {}): string {
  return text
    .split(/\r?\n/)
    .map((line) => (line.trim() === '' ? '' : escapeInline(line, userNames)))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** A label inside a Mermaid block: no characters Mermaid's gantt grammar reads. */
export function mermaidLabel(text: string): string {
  return text.replace(/[:#;,\n\r`"<>]/g, ' ').replace(/\s+/g, ' ').trim() || 'phase';
}
