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

/**
 * Runs a recorded slash command and answers the person through its response_url. A failure that
 * is ours (the database blinked) is thrown, so the inbox tries again; only the last try says so.
 */
export function commandHandler(deps: { services: Services; metrics: Metrics; log: Logger }) {
  const { services, metrics, log } = deps;
  return async (entry: InboxEntry, handling: HandlingContext): Promise<void> => {
    const payload = entry.payload as CommandPayload;
    const parsed = parseIncidentCommand(decodeSlackText(payload.text));
    if (!parsed.ok) return;
    const kind = parsed.command.kind;
    let reply: Reply;
    try {
      reply = await runIncidentCommand(services, commandContextOf(payload), parsed.command);
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
