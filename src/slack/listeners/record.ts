import type { Reply } from '../../common/context.js';
import type { Inbox } from '../../inbox/inbox.js';
import type { Logger } from '../../log.js';

export type Ack = (reply?: { response_type: 'ephemeral'; text: string }) => Promise<void>;

const BUSY: Reply = {
  text: ':hourglass: Firebreak is very busy right now and did not take this. Nothing was recorded; try again in a few seconds.',
};
const STORE_DOWN: Reply = {
  text: ':x: Firebreak cannot record this right now: its database is not answering. Nothing was recorded; try again in a minute.',
};

/**
 * Records a request in the inbox, then acks it: Slack gets its 200 only for what is durable, so
 * a crash after the ack loses nothing. A redelivery is acked and left to the first delivery.
 */
export async function recordThenAck(
  deps: { inbox: Inbox; log: Logger },
  ack: Ack,
  entry: { key: string; kind: string; payload: object },
): Promise<void> {
  const { inbox, log } = deps;
  if (!inbox.hasRoom()) {
    await ack({ response_type: 'ephemeral', text: BUSY.text });
    return;
  }
  let fresh: boolean;
  try {
    fresh = await inbox.record(entry.key, entry.kind, entry.payload);
  } catch (error) {
    log.error({ err: error instanceof Error ? error.message : String(error), key: entry.key }, 'could not record a Slack request');
    await ack({ response_type: 'ephemeral', text: STORE_DOWN.text });
    return;
  }
  await ack();
  if (fresh) inbox.handle(entry.key, entry.kind, entry.payload);
  else log.debug({ key: entry.key }, 'redelivered Slack request ignored');
}
