// The Block Kit limits that real Slack enforces and that bots commonly trip over. Failures
// answer as Slack does: `invalid_blocks` with `[ERROR] … [json-pointer:/blocks/…]` messages.
import { SlackApiError, invalidArguments, isRecord } from './args.js';

const BLOCK_TYPES = new Set([
  'actions', 'context', 'divider', 'file', 'header', 'image', 'input', 'markdown',
  'rich_text', 'section', 'table', 'video', 'context_actions',
]);

type Check = (value: unknown, pointer: string, problems: string[]) => void;

function tooLong(problems: string[], pointer: string, max: number): void {
  problems.push(`[ERROR] must be less than ${max + 1} characters [json-pointer:${pointer}]`);
}

function checkText(value: unknown, pointer: string, problems: string[], max: number, plainOnly = false): void {
  if (!isRecord(value) || (value.type !== 'plain_text' && value.type !== 'mrkdwn')) {
    problems.push(`[ERROR] must provide an object with type plain_text or mrkdwn [json-pointer:${pointer}]`);
    return;
  }
  if (plainOnly && value.type !== 'plain_text') {
    problems.push(`[ERROR] must be plain_text [json-pointer:${pointer}/type]`);
  }
  if (typeof value.text !== 'string' || value.text.length === 0) {
    problems.push(`[ERROR] must be more than 0 characters [json-pointer:${pointer}/text]`);
  } else if (value.text.length > max) {
    tooLong(problems, `${pointer}/text`, max);
  }
}

const checkElement: Check = (element, pointer, problems) => {
  if (!isRecord(element) || typeof element.type !== 'string') {
    problems.push(`[ERROR] missing required field: type [json-pointer:${pointer}]`);
    return;
  }
  if (typeof element.action_id === 'string' && element.action_id.length > 255) tooLong(problems, `${pointer}/action_id`, 255);
  if (element.type === 'button') {
    checkText(element.text, `${pointer}/text`, problems, 75, true);
    if (typeof element.value === 'string' && element.value.length > 2000) tooLong(problems, `${pointer}/value`, 2000);
  }
};

function checkBlock(block: unknown, pointer: string, problems: string[]): void {
  if (!isRecord(block) || typeof block.type !== 'string') {
    problems.push(`[ERROR] missing required field: type [json-pointer:${pointer}]`);
    return;
  }
  if (!BLOCK_TYPES.has(block.type)) {
    problems.push(`[ERROR] unsupported type: ${block.type} [json-pointer:${pointer}/type]`);
    return;
  }
  if (typeof block.block_id === 'string' && block.block_id.length > 255) tooLong(problems, `${pointer}/block_id`, 255);
  switch (block.type) {
    case 'section':
      if (block.text === undefined && block.fields === undefined) {
        problems.push(`[ERROR] must provide either text or fields [json-pointer:${pointer}]`);
      }
      if (block.text !== undefined) checkText(block.text, `${pointer}/text`, problems, 3000);
      if (Array.isArray(block.fields)) {
        if (block.fields.length > 10) problems.push(`[ERROR] must provide no more than 10 items [json-pointer:${pointer}/fields]`);
        block.fields.forEach((field, i) => checkText(field, `${pointer}/fields/${i}`, problems, 2000));
      }
      if (block.accessory !== undefined) checkElement(block.accessory, `${pointer}/accessory`, problems);
      break;
    case 'header':
      checkText(block.text, `${pointer}/text`, problems, 150, true);
      break;
    case 'actions':
    case 'context': {
      const max = block.type === 'actions' ? 25 : 10;
      if (!Array.isArray(block.elements) || block.elements.length === 0) {
        problems.push(`[ERROR] must provide at least 1 item [json-pointer:${pointer}/elements]`);
      } else if (block.elements.length > max) {
        problems.push(`[ERROR] must provide no more than ${max} items [json-pointer:${pointer}/elements]`);
      } else if (block.type === 'actions') {
        block.elements.forEach((el, i) => checkElement(el, `${pointer}/elements/${i}`, problems));
      }
      break;
    }
    case 'input':
      checkText(block.label, `${pointer}/label`, problems, 2000, true);
      if (block.element === undefined) problems.push(`[ERROR] missing required field: element [json-pointer:${pointer}]`);
      else checkElement(block.element, `${pointer}/element`, problems);
      break;
    default:
      break;
  }
}

function checkBlocks(blocks: unknown, pointer: string, max: number, problems: string[]): void {
  if (!Array.isArray(blocks)) {
    problems.push(`[ERROR] must be an array [json-pointer:${pointer}]`);
    return;
  }
  if (blocks.length > max) problems.push(`[ERROR] must provide no more than ${max} items [json-pointer:${pointer}]`);
  const ids = new Set<string>();
  blocks.forEach((block, i) => {
    checkBlock(block, `${pointer}/${i}`, problems);
    if (isRecord(block) && typeof block.block_id === 'string') {
      if (ids.has(block.block_id)) problems.push(`[ERROR] duplicate block_id [json-pointer:${pointer}/${i}/block_id]`);
      ids.add(block.block_id);
    }
  });
}

/** The `blocks` of a message: at most 50. */
export function validateMessageBlocks(blocks: unknown): unknown[] {
  if (!Array.isArray(blocks)) throw new SlackApiError('invalid_blocks_format');
  const problems: string[] = [];
  checkBlocks(blocks, '/blocks', 50, problems);
  if (problems.length > 0) throw new SlackApiError('invalid_blocks', { response_metadata: { messages: problems } });
  return blocks;
}

/** A modal or home view: title ≤ 24 chars, ≤ 100 blocks, `submit` required with input blocks. */
export function validateView(view: unknown): Record<string, unknown> {
  if (!isRecord(view)) throw invalidArguments('[ERROR] must provide an object [json-pointer:/view]');
  const problems: string[] = [];
  if (view.type !== 'modal' && view.type !== 'home') {
    problems.push('[ERROR] must be one of modal, home [json-pointer:/view/type]');
  }
  if (view.type === 'modal') {
    checkText(view.title, '/view/title', problems, 24, true);
    if (view.submit !== undefined) checkText(view.submit, '/view/submit', problems, 24, true);
    if (view.close !== undefined) checkText(view.close, '/view/close', problems, 24, true);
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isRecord(b) && b.type === 'input');
    if (hasInput && view.submit === undefined) {
      problems.push('[ERROR] submit is required when an input block is within the blocks array [json-pointer:/view/submit]');
    }
  }
  checkBlocks(view.blocks, '/view/blocks', 100, problems);
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000) {
    tooLong(problems, '/view/private_metadata', 3000);
  }
  if (typeof view.callback_id === 'string' && view.callback_id.length > 255) tooLong(problems, '/view/callback_id', 255);
  if (problems.length > 0) throw invalidArguments(...problems);
  return view;
}
