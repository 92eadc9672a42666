import type pg from 'pg';
import type { NewEffect } from '../outbox/model.js';
import type { Outbox } from '../outbox/outbox.js';
import { incidentCard, incidentTopic } from './card.js';
import type { Incident } from './model.js';
import { IncidentRepository } from './repository.js';

const CARD = 'incident.card';
const TOPIC = 'incident.topic';

/**
 * The card and the topic are rendered from the incident as it is when they are delivered, so
 * whatever order changes land in, both end on the latest state.
 */
export function cardEffect(incident: Incident): NewEffect {
  return { lane: incident.channelId!, kind: CARD, key: `card:${incident.id}:v${incident.version}`, incidentId: incident.id };
}

export function topicEffect(incident: Incident): NewEffect {
  return { lane: incident.channelId!, kind: TOPIC, key: `topic:${incident.id}:v${incident.version}`, incidentId: incident.id };
}

export function registerIncidentEffects(outbox: Outbox, deps: { pool: pg.Pool; timezone: string }): void {
  const incidents = new IncidentRepository(deps.pool);
  outbox.register(CARD, async (effect, ctx) => {
    const incident = await incidents.byId(effect.incidentId!);
    if (!incident?.channelId) return;
    const card = incidentCard(incident, deps.timezone);
    if (incident.cardTs) {
      await ctx.slack.updateMessage(incident.channelId, incident.cardTs, card);
      return;
    }
    // Keyed per incident, not per version: there is one card, however many versions asked for it.
    const { ts } = await ctx.postOnce(incident.channelId, card);
    await incidents.setCardTs(incident.id, ts);
  });
  outbox.register(TOPIC, async (effect, ctx) => {
    const incident = await incidents.byId(effect.incidentId!);
    if (!incident?.channelId) return;
    await ctx.slack.setTopic(incident.channelId, incidentTopic(incident));
  });
}
