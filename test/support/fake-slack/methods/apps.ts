import type { MethodTable } from './context.js';

/** Methods called with the app-level token (xapp-…) rather than the bot token. */
export const APP_TOKEN_METHODS: ReadonlySet<string> = new Set(['apps.connections.open']);

export const appMethods: MethodTable = {
  'apps.connections.open': ({ state }) => ({ url: state.issueSocketUrl() }),
};
