// `/incident postmortem`: queue a recompile and republish; the answer comes at once.
import type { CommandContext, Reply } from '../common/context.js';
import type { Incident } from '../incidents/model.js';
import type { Queryable } from '../store/queryable.js';
import { publishEffect, type EffectSink } from './effect.js';
import type { PostmortemStore } from './records.js';

export class PostmortemCommands {
  constructor(private readonly deps: { store: Pick<PostmortemStore, 'db'>; effects: EffectSink }) {}

  async republish(ctx: CommandContext, incident: Incident): Promise<Reply> {
    const effect = publishEffect(incident, ctx.userId, `request:${ctx.requestId}`);
    await this.deps.effects.add(this.deps.store.db, effect);
    await this.deps.effects.wake([effect.lane]);
    return { text: `Recompiling the postmortem draft of incident #${incident.id}: a new version is posted in this channel, saying what changed.` };
  }

  /** The IncidentService hook: the close queues the draft in the same transaction. */
  async closed(db: Queryable, incident: Incident): Promise<void> {
    await this.deps.effects.add(db, publishEffect(incident, null, 'close'));
  }
}
