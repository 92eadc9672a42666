import type { IncidentCommand } from '../incidents/command.js';
import { helpText } from '../incidents/command.js';
import type { IncidentService } from '../incidents/service.js';
import type { PostmortemCommands } from '../postmortem/command.js';
import type { TimelineService } from '../timeline/service.js';
import { UserError, type CommandContext, type Reply } from '../common/context.js';

/*
 * How a Slack request flows (for anyone adding a command or a button):
 * 1. src/slack/listeners/*.ts parse what can be answered from the text alone and answer it in the
 *    ack; everything else is recorded in the inbox (src/inbox/) BEFORE the ack, via recordThenAck.
 * 2. After the ack the inbox runs the handler registered for the entry's kind
 *    (src/slack/handlers/*.ts; registered in src/slack/app.ts registerListeners). A handler must be
 *    safe to run again: after a crash another replica re-runs it. Write one timeline event per
 *    request (requestId) or use natural keys; check `TimelineRepository.hasRequest` first.
 * 3. Domain services record the change and the Slack effects it owes IN ONE TRANSACTION:
 *    `effects.add(client, ...)` (src/outbox/), then `effects.wake([lane])` after commit. Never call
 *    the gateway to post after a change; the outbox worker does, in order per lane, keyed.
 *    Register new effect kinds with `outbox.register(kind, handler)` in src/firebreak.ts.
 * 4. The answer to the person is the Reply returned here, sent through response_url.
 * Other slash commands (/locks) and buttons plug in as routes (src/slack/routes.ts), passed to
 * registerListeners in src/firebreak.ts: { commands: { '/locks': CommandRoute }, actions: { prefix: ActionRoute } }.
 */
export interface Services {
  incidents: IncidentService;
  timeline: TimelineService;
  postmortem?: PostmortemCommands;
}

/** Runs a parsed /incident command; the answer is shown only to the person who typed it. */
export async function runIncidentCommand(services: Services, ctx: CommandContext, command: IncidentCommand): Promise<Reply> {
  const { incidents, timeline, postmortem } = services;
  switch (command.kind) {
    case 'open':
      if (command.title === null) throw new UserError('the incident needs a title');
      return incidents.open(ctx, { title: command.title, severity: command.severity });
    case 'note':
      return timeline.addNote(ctx, await incidents.forChannel(ctx.channelId), command.text);
    case 'status':
      return incidents.setStatus(ctx, command.status, command.text);
    case 'severity':
      return incidents.setSeverity(ctx, command.severity);
    case 'lead':
      return incidents.setLead(ctx, command.userId);
    case 'timeline':
      return timeline.show(ctx, await incidents.forChannel(ctx.channelId));
    case 'close': {
      const reply = await incidents.close(ctx, command.summary);
      return { text: `${reply.text} The postmortem draft will be posted in this channel shortly.` };
    }
    case 'list':
      return incidents.list(ctx);
    case 'help':
      return { text: helpText() };
    case 'postmortem':
      if (postmortem === undefined) throw new UserError('`/incident postmortem` is not available in this version of Firebreak yet.');
      return postmortem.republish(ctx, await incidents.forChannel(ctx.channelId));
    case 'page':
    case 'ack':
      throw new UserError(`\`/incident ${command.kind}\` is not available in this version of Firebreak yet.`);
  }
}
