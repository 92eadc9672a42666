import { appMethods } from './apps.js';
import { canvasMethods } from './canvases.js';
import { chatMethods } from './chat.js';
import type { MethodTable } from './context.js';
import { conversationMethods } from './conversations.js';
import { fileMethods } from './files.js';
import { userMethods } from './users.js';
import { viewMethods } from './views.js';

export const METHODS: MethodTable = {
  ...userMethods,
  ...conversationMethods,
  ...chatMethods,
  ...viewMethods,
  ...fileMethods,
  ...canvasMethods,
  ...appMethods,
};

export { APP_TOKEN_METHODS } from './apps.js';
