import { UserError, type Reply } from '../../common/context.js';
import { runIncidentCommand, type Services } from '../../commands/dispatch.js';
import { parseIncidentCommand } from '../../incidents/command.js';
import { decodeSlackText } from '../../text/mrkdwn.js';
import type { Metrics } from '../../http/metrics.js';
import type { HandlingContext, InboxEntry } from '../../inbox/inbox.js';
import type { Logger } from '../../log.js';
import { commandContextOf, type CommandPayload } from '../payloads.js';
import { replyForError } from '../replies.js';
import { respondTo } from '../respond.js';
import type { CommandRoute } from '../routes.js';

/**
 * Runs a recorded slash command and answers the person through its response_url. A failure that
 * is ours (the database blinked) is thrown, so the inbox tries again; only the last try says so.
 */
export function commandHandler(deps: {
  services: Services;
  routes: Record<string, CommandRoute>;
  metrics: Metrics;
  log: Logger;
}) {
  const { services, routes, metrics, log } = deps;
  const run = async (payload: CommandPayload): Promise<{ kind: string; reply: () => Promise<Reply> } | null> => {
    const text = decodeSlackText(payload.text);
    const ctx = commandContextOf(payload);
    const route = routes[payload.command];
    if (route) return { kind: payload.command.slice(1), reply: () => route.run(ctx, text) };
    const parsed = parseIncidentCommand(text);
    if (!parsed.ok) return null;
    return { kind: parsed.command.kind, reply: () => runIncidentCommand(services, ctx, parsed.command) };
  };
  return async (entry: InboxEntry, handling: HandlingContext): Promise<void> => {
    const payload = entry.payload as CommandPayload;
    const command = await run(payload);
    if (!command) return;
    const { kind } = command;
    let reply: Reply;
    try {
      reply = await command.reply();
      metrics.commands.inc({ command: kind, outcome: 'ok' });
    } catch (error) {
      if (!(error instanceof UserError) && !handling.lastAttempt) throw error;
      metrics.commands.inc({ command: kind, outcome: error instanceof UserError ? 'refused' : 'error' });
      reply = replyForError(error, log);
    }
    await respondTo(payload.responseUrl, reply).catch((error: unknown) =>
      log.warn({ err: String(error) }, 'could not answer through response_url'),
    );
  };
}
