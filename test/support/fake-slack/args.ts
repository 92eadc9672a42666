/** A Web API failure: the fake answers `{ ok: false, error, ...extra }` with HTTP 200. */
export class SlackApiError extends Error {
  constructor(
    readonly error: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(error);
  }
}

/** `invalid_arguments` with Slack's `response_metadata.messages` explanation. */
export function invalidArguments(...messages: string[]): SlackApiError {
  return new SlackApiError('invalid_arguments', { response_metadata: { messages } });
}

/** Arguments of the keys the @slack/web-api client JSON-encodes inside a form body. */
export const JSON_ARGS = new Set(['blocks', 'attachments', 'view', 'files', 'metadata', 'users_list']);

/**
 * Typed access to method arguments, whether they came form-encoded (all strings, nested values
 * JSON-encoded) or as a JSON body (real types).
 */
export class Args {
  constructor(readonly raw: Readonly<Record<string, unknown>>) {}

  has(name: string): boolean {
    const value = this.raw[name];
    return value !== undefined && value !== null && value !== '';
  }

  str(name: string): string | undefined {
    const value = this.raw[name];
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    return undefined;
  }

  /** A required, non-empty string argument; else `error` (Slack names each one differently). */
  req(name: string, error = 'invalid_arguments'): string {
    const value = this.str(name);
    if (value === undefined || value === '') {
      throw error === 'invalid_arguments' ? invalidArguments(`[ERROR] missing required field: ${name}`) : new SlackApiError(error);
    }
    return value;
  }

  bool(name: string): boolean {
    const value = this.raw[name];
    return value === true || value === 1 || value === 'true' || value === '1';
  }

  int(name: string): number | undefined {
    const value = this.raw[name];
    if (value === undefined || value === null || value === '') return undefined;
    const parsed = typeof value === 'number' ? value : Number(String(value));
    if (!Number.isInteger(parsed)) throw invalidArguments(`[ERROR] invalid integer for field: ${name}`);
    return parsed;
  }

  /** A JSON argument: already parsed in a JSON body, a JSON string in a form body. */
  json(name: string): unknown {
    const value = this.raw[name];
    if (typeof value !== 'string') return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      throw invalidArguments(`[ERROR] failed to parse json for field: ${name}`);
    }
  }

  /** A comma-separated list (`users=U1,U2`) or an array. */
  list(name: string): string[] {
    const value = this.raw[name];
    const items = Array.isArray(value) ? value.map(String) : (this.str(name) ?? '').split(',');
    return items.map((item) => item.trim()).filter((item) => item !== '');
  }
}

/** For `calls()`: the arguments as sent, JSON-encoded values parsed, the token dropped. */
export function recordableArgs(raw: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (key === 'token') continue;
    if (JSON_ARGS.has(key) && typeof value === 'string') {
      try {
        out[key] = JSON.parse(value) as unknown;
        continue;
      } catch {
        // keep the string: the method itself will answer the parse error
      }
    }
    out[key] = value;
  }
  return out;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
