import { SlackApiError } from '../args.js';
import { paginate } from '../paginate.js';
import type { MethodTable } from './context.js';

export const userMethods: MethodTable = {
  'auth.test': ({ state }) => ({
    url: `https://${state.id.teamDomain}.slack.com/`,
    team: state.id.teamDomain,
    user: state.id.botName,
    team_id: state.id.teamId,
    user_id: state.id.botUserId,
    bot_id: state.id.botId,
    is_enterprise_install: false,
  }),

  'users.info': ({ state, args }) => {
    const user = state.users.get(args.req('user', 'user_not_found'));
    if (user === undefined) throw new SlackApiError('user_not_found');
    return { user: structuredClone(user) };
  },

  'users.list': ({ state, args }) => {
    const page = paginate([...state.users.values()], (u) => u.id, args, 'user');
    return {
      members: page.items.map((u) => structuredClone(u)),
      cache_ts: state.nowSec(),
      response_metadata: { next_cursor: page.nextCursor },
    };
  },

  'usergroups.users.list': ({ state, args }) => {
    const users = state.usergroups.get(args.req('usergroup', 'no_such_subteam'));
    if (users === undefined) throw new SlackApiError('no_such_subteam');
    return { users: [...users] };
  },
};
