import type { CommandContext, Reply } from '../common/context.js';
import type { ActionPayload } from './payloads.js';

/**
 * A slash command other than /incident (e.g. /locks). `check` answers in the ack what needs no
 * lookup (a typo, help): return null to record and run it. `run` is re-runnable (see dispatch.ts).
 */
export interface CommandRoute {
  check?(text: string): Reply | null;
  run(ctx: CommandContext, text: string): Promise<Reply>;
}

/**
 * A button, by action_id prefix. The Reply (if any) replaces the message the button was on when
 * `replaceOriginal` is set, else it is shown to the clicker alone.
 */
export interface ActionRoute {
  run(payload: ActionPayload): Promise<{ reply: Reply; replaceOriginal?: boolean } | null>;
}

export interface Routes {
  commands: Record<string, CommandRoute>;
  actions: Record<string, ActionRoute>;
}
