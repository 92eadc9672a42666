import { SlackApiError, invalidArguments } from '../args.js';
import { validateView } from '../blocks.js';
import type { SlackState } from '../state.js';
import type { FakeView, OpenedView } from '../types.js';
import type { MethodContext, MethodTable } from './context.js';

/** A trigger lives 3 seconds and opens one view. */
const TRIGGER_TTL_MS = 3000;

function buildView(state: SlackState, raw: Record<string, unknown>, id: string, rootId: string): FakeView {
  const str = (key: string): string => (typeof raw[key] === 'string' ? raw[key] : '');
  return {
    id,
    team_id: state.id.teamId,
    type: str('type'),
    title: raw.title,
    ...(raw.submit !== undefined ? { submit: raw.submit } : {}),
    ...(raw.close !== undefined ? { close: raw.close } : {}),
    blocks: Array.isArray(raw.blocks) ? raw.blocks : [],
    callback_id: str('callback_id'),
    private_metadata: str('private_metadata'),
    external_id: str('external_id'),
    state: { values: {} },
    hash: `${state.nowSec()}.${state.randomHex(4)}`,
    root_view_id: rootId,
    previous_view_id: null,
    app_id: state.id.appId,
    bot_id: state.id.botId,
    clear_on_close: raw.clear_on_close === true,
    notify_on_close: raw.notify_on_close === true,
  };
}

function checkExternalId(state: SlackState, view: Record<string, unknown>, exceptId?: string): void {
  const externalId = view.external_id;
  if (typeof externalId !== 'string' || externalId === '') return;
  for (const opened of state.views.values()) {
    if (opened.id !== exceptId && opened.view.external_id === externalId) throw new SlackApiError('duplicate_external_id');
  }
}

function openWithTrigger({ state, args }: MethodContext, how: 'open' | 'push'): Record<string, unknown> {
  const triggerId = args.str('trigger_id') ?? args.str('interactivity_pointer');
  if (triggerId === undefined || triggerId === '') throw invalidArguments('[ERROR] missing required field: trigger_id');
  if (!args.has('view')) throw invalidArguments('[ERROR] missing required field: view');
  const raw = validateView(args.json('view'));
  const trigger = state.triggers.get(triggerId);
  if (trigger === undefined) throw new SlackApiError('invalid_trigger_id');
  if (trigger.used) throw new SlackApiError('exchanged_trigger_id');
  if (state.now() - trigger.issued > TRIGGER_TTL_MS) throw new SlackApiError('expired_trigger_id');
  checkExternalId(state, raw);
  trigger.used = true;
  const id = state.nextId('V');
  const opened: OpenedView = {
    id, userId: trigger.userId, triggerId, how, view: buildView(state, raw, id, id), time: state.now(), updates: 0,
  };
  state.views.set(id, opened);
  state.changed();
  return { view: structuredClone(opened.view) };
}

export const viewMethods: MethodTable = {
  'views.open': (ctx) => openWithTrigger(ctx, 'open'),
  'views.push': (ctx) => openWithTrigger(ctx, 'push'),

  'views.update': ({ state, args }) => {
    const viewId = args.str('view_id');
    const externalId = args.str('external_id');
    if (!viewId && !externalId) throw invalidArguments('[ERROR] either view_id or external_id is required');
    const opened = [...state.views.values()].find((v) => (viewId ? v.id === viewId : v.view.external_id === externalId));
    if (opened === undefined) throw new SlackApiError('not_found');
    const hash = args.str('hash');
    if (hash !== undefined && hash !== '' && hash !== opened.view.hash) throw new SlackApiError('hash_conflict');
    if (!args.has('view')) throw invalidArguments('[ERROR] missing required field: view');
    const raw = validateView(args.json('view'));
    checkExternalId(state, raw, opened.id);
    opened.view = buildView(state, raw, opened.id, opened.view.root_view_id);
    opened.updates += 1;
    state.changed();
    return { view: structuredClone(opened.view) };
  },
};
