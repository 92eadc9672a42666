import type { App, RespondFn, SlashCommand } from '@slack/bolt';
import type { CommandContext, Reply } from '../../common/context.js';
import { errorReply } from '../../common/context.js';
import { runIncidentCommand, type Services } from '../../commands/dispatch.js';
import { helpText, parseIncidentCommand } from '../../incidents/command.js';
import type { Metrics } from '../../http/metrics.js';
import type { Logger } from '../../log.js';
import type { SlackGateway } from '../../ports/slack.js';
import { decodeSlackText } from '../../text/mrkdwn.js';
import { replyForError } from '../replies.js';
import { openIncidentModal } from '../views/open-modal.js';

export function commandContext(command: SlashCommand, receivedAt: Date): CommandContext {
  return {
    teamId: command.team_id,
    userId: command.user_id,
    channelId: command.channel_id,
    receivedAt,
    requestId: command.trigger_id,
  };
}

export async function respondEphemeral(respond: RespondFn, reply: Reply, log: Logger): Promise<void> {
  await respond({ response_type: 'ephemeral', text: reply.text, ...(reply.blocks ? { blocks: reply.blocks } : {}) }).catch(
    (error: unknown) => log.warn({ err: String(error) }, 'could not answer through response_url'),
  );
}

export function registerIncidentCommand(
  app: App,
  deps: { services: Services; slack: SlackGateway; metrics: Metrics; log: Logger },
): void {
  const { services, slack, metrics, log } = deps;
  app.command('/incident', async ({ command, ack, respond }) => {
    const receivedAt = new Date();
    const parsed = parseIncidentCommand(decodeSlackText(command.text));
    if (!parsed.ok) {
      metrics.commands.inc({ command: 'invalid', outcome: 'refused' });
      await ack({ response_type: 'ephemeral', text: errorReply(parsed.error, parsed.usage).text });
      return;
    }
    const { command: typed } = parsed;
    if (typed.kind === 'help') {
      metrics.commands.inc({ command: 'help', outcome: 'ok' });
      await ack({ response_type: 'ephemeral', text: helpText() });
      return;
    }
    // Slack waits 3 s for this answer; the work and its reply follow through response_url.
    await ack();
    const ctx = commandContext(command, receivedAt);
    try {
      if (typed.kind === 'open' && typed.title === null) {
        await slack.openModal(command.trigger_id, openIncidentModal(command.channel_id, typed.severity));
      } else {
        await respondEphemeral(respond, await runIncidentCommand(services, ctx, typed), log);
      }
      metrics.commands.inc({ command: typed.kind, outcome: 'ok' });
    } catch (error) {
      metrics.commands.inc({ command: typed.kind, outcome: 'error' });
      await respondEphemeral(respond, replyForError(error, log), log);
    }
  });

  app.command('/locks', async ({ ack }) => {
    await ack({ response_type: 'ephemeral', text: ':construction: `/locks` is not available in this version of Firebreak yet.' });
  });
}
