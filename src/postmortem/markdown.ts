/**
 * Text people typed, made safe for a Markdown document: it reads as typed and cannot open a
 * heading, list, table, code block, link or HTML, wherever it lands.
 */
export function escapeMarkdown(text: string): string {
  return (
    text
      .replace(/\s*\r?\n\s*/g, ' / ')
      .trim()
      // Inline markup anywhere: emphasis, code, links and images, HTML, tables, strikethrough.
      .replace(/[\\`*_[\]<>|~]/g, (c) => `\\${c}`)
      .replace(/&/g, '&amp;')
      // Block markup only counts at the start of a line: headings, lists, quotes, setext rules.
      .replace(/^[#+=-]/, (m) => `\\${m}`)
      .replace(/^(\d+)([.)])/, '$1\\$2')
  );
}

/** Slack's markup in message text (`<@U1>`, `<#C1|name>`, `<!here>`, `<url|label>`) as plain words. */
export function slackToPlain(text: string, names: Readonly<Record<string, string>> = {}): string {
  return text.replace(/<([^<>]+)>/g, (_, inner: string) => {
    const [target = '', label] = inner.split('|', 2);
    if (target.startsWith('@')) return `@${names[target.slice(1)] ?? label ?? target.slice(1)}`;
    if (target.startsWith('#')) return `#${label ?? target.slice(1)}`;
    if (target.startsWith('!')) return `@${label ?? target.slice(1).split('^')[0]}`;
    return label ? `${label} (${target})` : target;
  });
}

/** What a person wrote in Slack, ready for the document. */
export function typedText(text: string, names: Readonly<Record<string, string>> = {}): string {
  return escapeMarkdown(slackToPlain(text, names));
}
