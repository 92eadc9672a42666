import type { App } from '@slack/bolt';
import { errorReply } from '../../common/context.js';
import { helpText, parseIncidentCommand } from '../../incidents/command.js';
import { decodeSlackText } from '../../text/mrkdwn.js';
import type { Metrics } from '../../http/metrics.js';
import type { Inbox } from '../../inbox/inbox.js';
import type { InFlight } from '../../inflight.js';
import type { Logger } from '../../log.js';
import type { SlackGateway } from '../../ports/slack.js';
import type { CommandPayload } from '../payloads.js';
import type { CommandRoute } from '../routes.js';
import { openIncidentModal } from '../views/open-modal.js';
import { recordThenAck } from './record.js';

export const COMMAND_KIND = 'command';

/**
 * Both slash commands, in one listener: what can be answered from the text alone is answered in
 * the ack; everything else is recorded in the inbox before the ack and handled after it.
 */
export function registerCommands(
  app: App,
  deps: {
    inbox: Inbox;
    slack: SlackGateway;
    inflight: InFlight;
    metrics: Metrics;
    log: Logger;
    routes: Record<string, CommandRoute>;
  },
): void {
  const { slack, inflight, metrics, log, routes } = deps;
  const names = ['/incident', ...Object.keys(routes)].map((name) => name.slice(1)).join('|');
  app.command(new RegExp(`^/(${names})$`), async ({ command, ack }) => {
    const receivedAt = new Date();
    if (command.command === '/incident') {
      const parsed = parseIncidentCommand(decodeSlackText(command.text));
      if (!parsed.ok) {
        metrics.commands.inc({ command: 'invalid', outcome: 'refused' });
        await ack({ response_type: 'ephemeral', text: errorReply(parsed.error, parsed.usage).text });
        return;
      }
      const typed = parsed.command;
      if (typed.kind === 'help') {
        metrics.commands.inc({ command: 'help', outcome: 'ok' });
        await ack({ response_type: 'ephemeral', text: helpText() });
        return;
      }
      if (typed.kind === 'open' && typed.title === null) {
        // The trigger lives 3 s: the modal opens now, outside the inbox; its submission is recorded.
        await ack();
        void inflight.track(
          slack.openModal(command.trigger_id, openIncidentModal(command.channel_id, typed.severity)).then(
            () => metrics.commands.inc({ command: 'open', outcome: 'ok' }),
            (error: unknown) => {
              metrics.commands.inc({ command: 'open', outcome: 'error' });
              log.warn({ err: String(error) }, 'could not open the incident form');
            },
          ),
        );
        return;
      }
    } else {
      const quick = routes[command.command]?.check?.(decodeSlackText(command.text));
      if (quick) {
        await ack({ response_type: 'ephemeral', text: quick.text });
        return;
      }
    }
    const payload: CommandPayload = {
      command: command.command,
      text: command.text,
      teamId: command.team_id,
      userId: command.user_id,
      channelId: command.channel_id,
      triggerId: command.trigger_id,
      responseUrl: command.response_url,
      receivedAt: receivedAt.toISOString(),
    };
    await recordThenAck(deps, ack, { key: `command:${command.trigger_id}`, kind: COMMAND_KIND, payload });
  });
}
