// canvases.create as Slack documents it: `title`, `document_content` {type: 'markdown', markdown},
// optional `channel_id` (a channel canvas, one per channel: `channel_canvas_already_exists`).
// A workspace without canvases is simulated with `fake.failNext('canvases.create', 'canvas_disabled_user_team')`.
import { SlackApiError, invalidArguments, isRecord } from '../args.js';
import type { SlackState } from '../state.js';
import { targetChannel } from './chat.js';
import type { MethodTable } from './context.js';

export interface FakeCanvas {
  id: string;
  title: string;
  markdown: string;
  channelId: string | null;
}

const canvases = new WeakMap<SlackState, Map<string, FakeCanvas>>();

export function canvasesOf(state: SlackState): Map<string, FakeCanvas> {
  let map = canvases.get(state);
  if (map === undefined) {
    map = new Map();
    canvases.set(state, map);
  }
  return map;
}

export const canvasMethods: MethodTable = {
  'canvases.create': ({ state, args }) => {
    const content = args.has('document_content') ? args.json('document_content') : undefined;
    if (content !== undefined && (!isRecord(content) || content.type !== 'markdown' || typeof content.markdown !== 'string')) {
      throw invalidArguments('[ERROR] document_content must be {type: "markdown", markdown: string}');
    }
    const channelId = args.str('channel_id');
    const all = canvasesOf(state);
    if (channelId !== undefined && channelId !== '') {
      const record = targetChannel(state, channelId);
      if (!state.isBotMember(record)) throw new SlackApiError('not_in_channel');
      if ([...all.values()].some((c) => c.channelId === record.info.id)) throw new SlackApiError('channel_canvas_already_exists');
    }
    const id = state.nextId('F');
    all.set(id, {
      id,
      title: args.str('title') ?? 'Untitled',
      markdown: isRecord(content) && typeof content.markdown === 'string' ? content.markdown : '',
      channelId: channelId !== undefined && channelId !== '' ? channelId : null,
    });
    state.changed();
    return { canvas_id: id };
  },
};
