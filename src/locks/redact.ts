import type { ShowQuery } from './settings.js';

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/;
const DIGIT = /[0-9]/;

/** End (exclusive) of a quoted run starting at `start` (on the opening quote), `''` doubling the quote. */
function quotedEnd(text: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i];
    if (backslashEscapes && ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (text[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i += 1;
  }
  return text.length;
}

/** `$tag$` at `start`, or null when the `$` opens no dollar quote (a `$1` parameter, say). */
function dollarTag(text: string, start: number): string | null {
  const match = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(text.slice(start, start + 64));
  return match ? match[0] : null;
}

function numberEnd(text: string, start: number): number {
  const match = /^(?:0[xX][0-9A-Fa-f_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/.exec(
    text.slice(start),
  );
  return start + (match ? match[0].length : 1);
}

/**
 * Replaces every literal of a SQL text with a placeholder (strings, E'' and U&'' strings,
 * dollar-quoted bodies with `'…'`; numbers with `?`) and drops comments, which may hold
 * anything. Identifiers, quoted identifiers and `$n` parameters stay, so the shape of the
 * statement is still readable.
 */
export function redactQuery(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i] ?? '';
    const next = text[i + 1] ?? '';
    if (ch === '-' && next === '-') {
      const end = text.indexOf('\n', i);
      i = end === -1 ? text.length : end;
      out += ' ';
      continue;
    }
    if (ch === '/' && next === '*') {
      // Block comments nest in PostgreSQL.
      let depth = 1;
      let j = i + 2;
      while (j < text.length && depth > 0) {
        if (text.startsWith('/*', j)) {
          depth += 1;
          j += 2;
        } else if (text.startsWith('*/', j)) {
          depth -= 1;
          j += 2;
        } else j += 1;
      }
      i = j;
      out += ' ';
      continue;
    }
    if (ch === "'") {
      i = quotedEnd(text, i, "'", false);
      out += "'…'";
      continue;
    }
    if ((ch === 'E' || ch === 'e') && next === "'" && !IDENT_PART.test(text[i - 1] ?? ' ')) {
      i = quotedEnd(text, i + 1, "'", true);
      out += "'…'";
      continue;
    }
    if ((ch === 'U' || ch === 'u') && next === '&' && text[i + 2] === "'" && !IDENT_PART.test(text[i - 1] ?? ' ')) {
      i = quotedEnd(text, i + 2, "'", false);
      out += "'…'";
      continue;
    }
    if ((ch === 'B' || ch === 'b' || ch === 'X' || ch === 'x') && next === "'" && !IDENT_PART.test(text[i - 1] ?? ' ')) {
      i = quotedEnd(text, i + 1, "'", false);
      out += "'…'";
      continue;
    }
    if (ch === '"') {
      const end = quotedEnd(text, i, '"', false);
      out += text.slice(i, end);
      i = end;
      continue;
    }
    if (ch === '$') {
      const tag = dollarTag(text, i);
      if (tag !== null) {
        const close = text.indexOf(tag, i + tag.length);
        i = close === -1 ? text.length : close + tag.length;
        out += "'…'";
        continue;
      }
      const param = /^\$\d+/.exec(text.slice(i));
      const length = param ? param[0].length : 1;
      out += text.slice(i, i + length);
      i += length;
      continue;
    }
    if (IDENT_START.test(ch)) {
      let j = i + 1;
      while (j < text.length && IDENT_PART.test(text[j] ?? '')) j += 1;
      out += text.slice(i, j);
      i = j;
      continue;
    }
    if (DIGIT.test(ch) || (ch === '.' && DIGIT.test(next))) {
      i = numberEnd(text, i);
      out += '?';
      continue;
    }
    out += ch;
    i += 1;
  }
  return out.replace(/\s+/g, ' ').trim();
}

/** Same statement shape (literals aside): used to collapse identical waiters. */
export function queryFingerprint(text: string | null): string {
  if (text === null) return '';
  return redactQuery(text)
    .toLowerCase()
    .replace(/\(\s*(?:\?|'…'|\$\d+)(?:\s*,\s*(?:\?|'…'|\$\d+))*\s*\)/g, '(?)');
}

export const ROOT_SNIPPET = 600;
export const WAITER_SNIPPET = 200;

/** The query text as `show_query` allows, cut to `max` characters; null when nothing may be shown. */
export function showQuery(text: string | null, mode: ShowQuery, max: number): string | null {
  if (text === null || mode === 'none') return null;
  const shown = mode === 'full' ? text.replace(/\s+/g, ' ').trim() : redactQuery(text);
  return shown.length <= max ? shown : `${shown.slice(0, max - 1)}…`;
}
