// `/incident close` and `/incident postmortem` queue one durable effect; its handler (run by the
// outbox worker, after the answer) backfills the channel, compiles and publishes. A crash anywhere
// re-runs it: the backfill adds nothing twice, an unchanged draft is not a new version, and
// publishing skips what was recorded as done.
import type { Incident } from '../incidents/model.js';
import { shareFileOnce, type FileProgress } from '../outbox/file-effect.js';
import type { NewEffect } from '../outbox/model.js';
import type { Outbox } from '../outbox/outbox.js';
import type { BotIdentity, SlackGateway } from '../ports/slack.js';
import type { Queryable } from '../store/queryable.js';
import { backfill, dateToTs } from './collect.js';
import { publishPostmortem } from './publish.js';
import type { PostmortemStore } from './records.js';
import { compile, type PostmortemSources } from './service.js';

export const PUBLISH_KIND = 'postmortem.publish';

export interface EffectSink {
  add(db: Queryable, ...effects: NewEffect[]): Promise<void>;
  wake(lanes: Iterable<string>): Promise<void>;
}

/** The effect that compiles and publishes the draft; `requestKey` makes a redelivered request queue it once. */
export function publishEffect(incident: Incident, requestedBy: string | null, requestKey: string): NewEffect {
  return {
    lane: incident.channelId ?? `incident:${incident.id}`,
    kind: PUBLISH_KIND,
    key: `postmortem:${incident.id}:${requestKey}`,
    incidentId: incident.id,
    payload: { requestedBy },
  };
}

export interface PostmortemSettings {
  zone: string;
  clock: '24h' | '12h';
  canvas: boolean;
}

export interface HandlerDeps {
  store: PostmortemStore;
  settings: PostmortemSettings;
  log: { warn(detail: Record<string, unknown>, message: string): void };
  sleep?(ms: number): Promise<void>;
}

/** `ourAuthors`: the bot's user and bot ids, whose posts (captured live like any other) stay out. */
export function sources(store: PostmortemStore, ourAuthors: readonly string[] = []): PostmortemSources {
  const { incidents, events, messages, versions } = store;
  return {
    incident: (id) => incidents.byId(id),
    events: (id) => events.list(id),
    messages: async (channel) => (await messages.list(channel)).filter((m) => m.userId === null || !ourAuthors.includes(m.userId)),
    latest: (id) => versions.latest(id),
    add: (id, version, markdown, summary, by) => versions.add(id, version, markdown, summary, by),
  };
}

export function registerPostmortemEffect(outbox: Outbox, deps: HandlerDeps): void {
  let identity: Promise<BotIdentity> | null = null;
  const whoAmI = (slack: SlackGateway): Promise<BotIdentity> => {
    identity ??= slack.identity().catch((error: unknown) => {
      identity = null;
      throw error;
    });
    return identity;
  };
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));

  outbox.register(PUBLISH_KIND, async (effect, ctx) => {
    const incidentId = effect.incidentId;
    if (incidentId === null) return;
    let version = typeof effect.progress['version'] === 'number' ? effect.progress['version'] : null;
    if (version === null) {
      const incident = await deps.store.incidents.byId(incidentId);
      if (incident?.channelId == null) return;
      const bot = await whoAmI(ctx.slack);
      await backfill(
        { slack: ctx.slack, store: deps.store.messages, bot: { userId: bot.userId, botId: bot.botId }, sleep },
        {
          channelId: incident.channelId,
          // From the opening, not from the newest captured message: a replica outage in the middle
          // of the incident leaves a gap before messages that were captured after it.
          since: dateToTs(incident.openedAt),
          knownThreads: await deps.store.messages.threadRoots(incident.channelId),
        },
      );
      const requestedBy = typeof effect.payload['requestedBy'] === 'string' ? effect.payload['requestedBy'] : null;
      const settings = { zone: deps.settings.zone, clock: deps.settings.clock, workspaceUrl: bot.workspaceUrl, userNames: {} };
      const ours = [bot.userId, ...(bot.botId !== null ? [bot.botId] : [])];
      const result = await compile(sources(deps.store, ours), settings, incidentId, requestedBy);
      version = result.version.version;
      await ctx.saveProgress({ version });
    }
    const compiled = version;
    const fileSteps = (effect.progress['file'] ?? {}) as FileProgress;
    await publishPostmortem(
      {
        slack: ctx.slack,
        shareFile: (channel, file) =>
          shareFileOnce(ctx.slack, { saved: fileSteps, save: (file) => ctx.saveProgress({ version: compiled, file }) }, channel, file),
        versions: deps.store.versions,
        postOnce: (channel, message) => ctx.postOnce(channel, message),
        canvas: deps.settings.canvas,
        warn: (message, detail) => deps.log.warn(detail, message),
      },
      incidentId,
      version,
    );
  });
}
