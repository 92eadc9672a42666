import type { Args } from '../args.js';
import type { SlackState } from '../state.js';

export interface MethodContext {
  state: SlackState;
  args: Args;
}

/** The success body, without `ok: true` (the server adds it). Throw `SlackApiError` to fail. */
export type MethodResult = Record<string, unknown>;
export type Handler = (ctx: MethodContext) => MethodResult;
export type MethodTable = Readonly<Record<string, Handler>>;

/** Slack timestamps compared exactly: `"1690107420.0001"` → micro-seconds as an integer. */
export function tsMicros(ts: string): number {
  const [sec = '0', frac = ''] = ts.split('.');
  return Number(sec) * 1e6 + Number(frac.padEnd(6, '0').slice(0, 6));
}

export function isTs(value: string): boolean {
  return /^\d+(\.\d+)?$/.test(value);
}
