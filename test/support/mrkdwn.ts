/** Every mrkdwn text object in Block Kit blocks: the parts Slack parses for mentions and links. */
export function mrkdwnTexts(blocks: unknown): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (record['type'] === 'mrkdwn' && typeof record['text'] === 'string') found.push(record['text']);
      Object.values(record).forEach(walk);
    }
  };
  walk(blocks);
  return found;
}
