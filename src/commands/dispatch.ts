import type { IncidentCommand } from '../incidents/command.js';
import { helpText } from '../incidents/command.js';
import type { IncidentService } from '../incidents/service.js';
import type { TimelineService } from '../timeline/service.js';
import { UserError, type CommandContext, type Reply } from '../common/context.js';

export interface Services {
  incidents: IncidentService;
  timeline: TimelineService;
}

/** Runs a parsed /incident command; the answer is shown only to the person who typed it. */
export async function runIncidentCommand(services: Services, ctx: CommandContext, command: IncidentCommand): Promise<Reply> {
  const { incidents, timeline } = services;
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
    case 'close':
      return incidents.close(ctx, command.summary);
    case 'list':
      return incidents.list(ctx);
    case 'help':
      return { text: helpText() };
    case 'page':
    case 'ack':
    case 'postmortem':
      throw new UserError(`\`/incident ${command.kind}\` is not available in this version of Firebreak yet.`);
  }
}
