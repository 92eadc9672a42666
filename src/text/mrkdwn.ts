/**
 * Slack text crosses the edge once each way: what Slack sends is decoded into plain text
 * (stored as typed), and what the bot writes is escaped once, then cut to Slack's limits.
 */

const SLACK_ENTITY: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>' };

/**
 * Message and slash-command text as a person typed it. Slack encodes exactly `&`, `<` and `>`
 * there (mentions and links stay `<…>` markup); a single pass, so a typed `&lt;` stays `&lt;`.
 * Not for view_submission input values, which arrive as typed.
 */
export function decodeSlackText(text: string): string {
  return text.replace(/&(?:amp|lt|gt);/g, (entity) => SLACK_ENTITY[entity] ?? entity);
}

/**
 * Escapes text people typed so Slack shows it and never acts on it: `<!channel>`, `<@U…>` and
 * links only have meaning through `<`, `>` and `&`, which Slack asks us to escape.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The first `end` characters of `text`, one fewer rather than half a surrogate pair (an emoji). */
function cutAt(text: string, end: number): string {
  const code = text.charCodeAt(end - 1);
  return code >= 0xd800 && code <= 0xdbff ? text.slice(0, end - 1) : text.slice(0, end);
}

/** Cuts plain text (plain_text fields) to `max` characters at most, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${cutAt(text, max - 1)}…`;
}

/**
 * Cuts already-escaped mrkdwn to `max` characters at most, marking the cut. Slack's limits count
 * the escaped text, and a cut inside `&amp;` would leave a stray `&am` on screen, so a cut that
 * lands inside an entity moves to before it.
 */
export function truncateEscaped(escaped: string, max: number): string {
  if (escaped.length <= max) return escaped;
  let cut = cutAt(escaped, max - 1);
  const amp = cut.lastIndexOf('&');
  if (amp >= 0 && !cut.includes(';', amp) && /^&(?:amp|lt|gt);/.test(escaped.slice(amp))) cut = cut.slice(0, amp);
  return `${cut}…`;
}

/** Typed text for a mrkdwn field of at most `max` characters: escaped once, then cut. */
export function escapeAndTruncate(text: string, max: number): string {
  return truncateEscaped(escapeMrkdwn(text), max);
}

export function mention(userId: string): string {
  return `<@${userId}>`;
}
