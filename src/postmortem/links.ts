/** The link to one Slack message: a web permalink with the workspace URL, else a deep link. */
export function messageLink(
  workspaceUrl: string | null,
  teamId: string,
  channelId: string,
  ts: string,
  threadTs: string | null = null,
): string {
  if (workspaceUrl !== null) {
    const base = `${workspaceUrl.replace(/\/+$/, '')}/archives/${channelId}/p${ts.replace('.', '')}`;
    return threadTs !== null && threadTs !== ts ? `${base}?thread_ts=${threadTs}&cid=${channelId}` : base;
  }
  return `slack://channel?team=${encodeURIComponent(teamId)}&id=${encodeURIComponent(channelId)}&message=${encodeURIComponent(ts)}`;
}
