import { UserError, type CommandContext, type Reply } from '../common/context.js';
import { mention } from '../text/mrkdwn.js';
import { formatDuration, slackDateToken } from '../time/format.js';
import type { EscalationEngine, PageTarget } from './engine.js';
import type { EscalationRows } from './records.js';

export interface IncidentRef {
  id: number;
}

/** What `/incident ack`, `/incident page`, `/incident oncall` and the Acknowledge button answer. */
export class EscalationCommands {
  constructor(
    private readonly engine: EscalationEngine,
    private readonly escalations: Pick<EscalationRows, 'get'>,
    private readonly settings: { timezone: string; defaultPolicy: string | null },
  ) {}

  async ack(ctx: CommandContext, incident: IncidentRef, via: 'command' | 'button'): Promise<Reply> {
    const result = await this.engine.ack(incident.id, ctx.userId, ctx.receivedAt, via);
    if (result.status === 'not-paging') return { text: `Incident #${incident.id} is not paging anyone.` };
    if (result.status === 'already') {
      return { text: `Already acknowledged by ${mention(result.by)} at ${slackDateToken(result.at, this.settings.timezone, '{time}')}.` };
    }
    return { text: `:white_check_mark: You acknowledged incident #${incident.id}; no further tier will be paged.` };
  }

  async page(ctx: CommandContext, incident: IncidentRef, target: PageTarget): Promise<Reply> {
    const result = await this.engine.pageNow(incident.id, target, ctx.userId);
    if (result.status === 'nothing') throw new UserError(`Nobody was paged: ${result.reason}.`);
    if (result.status === 'queued') return { text: `Paging tier ${result.step.tier + 1} now.` };
    return { text: result.users.length > 0 ? `Paged ${result.users.map(mention).join(', ')}.` : 'That tier resolves to nobody right now.' };
  }

  async oncall(ctx: CommandContext, incident: IncidentRef | null): Promise<Reply> {
    const escalation = incident ? await this.escalations.get(incident.id) : null;
    const policy = escalation?.snapshot ?? this.settings.defaultPolicy;
    if (policy === null) return { text: 'No escalation policy is configured.' };
    const tiers = await this.engine.oncall(policy, ctx.receivedAt);
    if (tiers.length === 0) return { text: 'This policy pages nobody.' };
    const lines = tiers.map((t) => {
      const people = t.targets
        .map((target) => {
          const who = target.users.length > 0 ? target.users.map(mention).join(', ') : 'nobody';
          const next = target.next ? ` (next: ${mention(target.next.user)} from ${slackDateToken(target.next.at, this.settings.timezone)})` : '';
          return `${who}${next}`;
        })
        .join('; ');
      return `*Tier ${t.tier}* (after ${formatDuration(t.afterMs)}): ${people}`;
    });
    return { text: lines.join('\n') };
  }
}
