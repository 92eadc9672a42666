// Slack sends emoji typed in commands and messages as :shortcodes: (":fire:", ":+1:",
// ":man-surfing:"); they are decoration, not words.
const EMOJI_SHORTCODE = /:[a-z0-9_+'-]+:/gi;

/** `text` with every :shortcode: replaced by `by` (a space by default, so words stay apart). */
export function withoutEmojiShortcodes(text: string, by = ' '): string {
  return text.replace(EMOJI_SHORTCODE, by);
}
