/**
 * Escapes text people typed so Slack shows it and never acts on it: `<!channel>`, `<@U…>` and
 * links only have meaning through `<`, `>` and `&`, which Slack asks us to escape.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Slack sends message and command text with `&`, `<` and `>` encoded as entities; this gives back
 * what the person typed, so it is stored plain and escaped once on the way out.
 */
export function decodeSlackText(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** Cuts text to `max` characters at most, marking the cut, for Slack's per-field limits. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function mention(userId: string): string {
  return `<@${userId}>`;
}
