import { SlackApiError, invalidArguments, isRecord } from '../args.js';
import { validateMessageBlocks } from '../blocks.js';
import type { SlackState } from '../state.js';
import type { FileInfo, UploadedFile } from '../types.js';
import type { MethodTable } from './context.js';
import { targetChannel } from './chat.js';

const TYPES: Record<string, [mimetype: string, filetype: string]> = {
  md: ['text/markdown', 'markdown'],
  markdown: ['text/markdown', 'markdown'],
  txt: ['text/plain', 'text'],
  json: ['application/json', 'json'],
  csv: ['text/csv', 'csv'],
  pdf: ['application/pdf', 'pdf'],
  png: ['image/png', 'png'],
};

export function fileInfo(state: SlackState, upload: UploadedFile): FileInfo {
  const extension = upload.filename.includes('.') ? (upload.filename.split('.').pop() ?? '').toLowerCase() : '';
  const [mimetype, filetype] = TYPES[extension] ?? ['application/octet-stream', 'binary'];
  return {
    id: upload.id,
    name: upload.filename,
    title: upload.title,
    mimetype,
    filetype,
    size: upload.content?.length ?? 0,
    created: upload.created,
    timestamp: upload.created,
    user: state.id.botUserId,
    url_private: `${state.id.url}/files/${upload.id}/${encodeURIComponent(upload.filename)}`,
    permalink: `https://${state.id.teamDomain}.slack.com/files/${state.id.botUserId}/${upload.id}/${encodeURIComponent(upload.filename)}`,
  };
}

export const fileMethods: MethodTable = {
  'files.upload': () => {
    // Slack retired files.upload (November 2025): files.uploadV2 goes through the two methods below.
    throw new SlackApiError('method_deprecated');
  },

  'files.getUploadURLExternal': ({ state, args }) => {
    const filename = args.str('filename');
    if (filename === undefined || filename === '') throw invalidArguments('[ERROR] missing required field: filename');
    const length = args.int('length');
    if (length === undefined) throw invalidArguments('[ERROR] missing required field: length');
    if (length <= 0) throw new SlackApiError('missing_argument');
    const id = state.nextId('F');
    state.uploads.set(id, { id, filename, title: filename, declaredLength: length, completed: false, created: state.nowSec() });
    state.changed();
    return { upload_url: `${state.id.url}/upload/${id}`, file_id: id };
  },

  'files.completeUploadExternal': ({ state, args }) => {
    const files = args.json('files');
    if (!Array.isArray(files) || files.length === 0) throw invalidArguments('[ERROR] missing required field: files');
    const uploads = files.map((entry) => {
      const upload = isRecord(entry) && typeof entry.id === 'string' ? state.uploads.get(entry.id) : undefined;
      if (upload === undefined || upload.content === undefined || upload.completed) throw new SlackApiError('file_not_found');
      return { upload, title: isRecord(entry) && typeof entry.title === 'string' ? entry.title : upload.filename };
    });
    const channelId = args.str('channel_id') ?? args.list('channels')[0];
    let record;
    if (channelId !== undefined && channelId !== '') {
      try {
        record = targetChannel(state, channelId);
      } catch {
        throw new SlackApiError('invalid_channel');
      }
      if (record.info.is_archived) throw new SlackApiError('is_archived');
      if (!state.isBotMember(record)) throw new SlackApiError('not_in_channel');
    }
    const comment = args.str('initial_comment');
    const blocks = comment === undefined && args.has('blocks') ? validateMessageBlocks(args.json('blocks')) : undefined;
    for (const { upload, title } of uploads) {
      upload.completed = true;
      upload.title = title;
      if (comment !== undefined) upload.initial_comment = comment;
    }
    if (record !== undefined) {
      const threadTs = args.str('thread_ts');
      const message = state.botMessage(record, {
        subtype: 'file_share',
        text: comment ?? '',
        upload: true,
        files: uploads.map(({ upload }) => fileInfo(state, upload)),
        ...(blocks !== undefined ? { blocks } : {}),
        ...(threadTs !== undefined && threadTs !== '' ? { thread_ts: threadTs } : {}),
      });
      for (const { upload } of uploads) {
        upload.channel = record.info.id;
        upload.ts = message.ts;
      }
    }
    state.changed();
    return { files: uploads.map(({ upload }) => fileInfo(state, upload)) };
  },

  'files.info': ({ state, args }) => {
    const upload = state.uploads.get(args.req('file', 'file_not_found'));
    if (upload === undefined || !upload.completed) throw new SlackApiError('file_not_found');
    return { file: fileInfo(state, upload), content: upload.content?.toString('utf8') ?? '' };
  },
};
