/**
 * Versioned schema changes, applied in order at start-up. Never edit a released entry:
 * add a new one, because replicas and old databases have already applied the earlier ones.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

const ALL: Migration[] = [
  {
    version: 1,
    name: 'incidents',
    sql: `
      CREATE TABLE incidents (
        id bigserial PRIMARY KEY,
        team_id text NOT NULL,
        title text NOT NULL,
        severity smallint NOT NULL CHECK (severity BETWEEN 1 AND 4),
        status text NOT NULL CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
        -- opening: row exists, channel not yet made; open; closed; failed: Slack refused the channel
        state text NOT NULL DEFAULT 'opening' CHECK (state IN ('opening', 'open', 'closed', 'failed')),
        lead_user_id text,
        opened_by text NOT NULL,
        opened_at timestamptz NOT NULL DEFAULT now(),
        closed_at timestamptz,
        close_summary text,
        origin_channel_id text,
        channel_id text UNIQUE,
        channel_name text,
        card_ts text,
        -- the Slack trigger_id of the request that opened it: a redelivered request opens nothing twice
        open_request_id text UNIQUE,
        problems text[] NOT NULL DEFAULT '{}'
      );
      CREATE INDEX incidents_open ON incidents (team_id, opened_at) WHERE state = 'open';

      CREATE TABLE timeline_events (
        id bigserial PRIMARY KEY,
        incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
        occurred_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        kind text NOT NULL CHECK (kind IN ('open', 'note', 'status', 'severity', 'lead', 'page', 'ack',
                                           'lock_snapshot', 'pinned', 'close')),
        author_id text,
        text text NOT NULL DEFAULT '',
        typed_time text,
        typed_zone text,
        zone_used text,
        warnings text[] NOT NULL DEFAULT '{}',
        source_ts text,
        data jsonb NOT NULL DEFAULT '{}'
      );
      CREATE INDEX timeline_order ON timeline_events (incident_id, occurred_at, id);
      -- a message becomes a timeline event once, however often it is pinned or redelivered
      CREATE UNIQUE INDEX timeline_once_per_message ON timeline_events (incident_id, kind, source_ts)
        WHERE source_ts IS NOT NULL;

      CREATE TABLE channel_messages (
        channel_id text NOT NULL,
        ts text NOT NULL,
        user_id text,
        text text NOT NULL DEFAULT '',
        thread_ts text,
        posted_at timestamptz NOT NULL,
        edited_at timestamptz,
        deleted boolean NOT NULL DEFAULT false,
        PRIMARY KEY (channel_id, ts)
      );

      CREATE TABLE slack_events_seen (
        event_id text PRIMARY KEY,
        seen_at timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE slack_users (
        user_id text PRIMARY KEY,
        tz text,
        is_bot boolean NOT NULL DEFAULT false,
        deleted boolean NOT NULL DEFAULT false,
        fetched_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
  {
    version: 2,
    name: 'inbox and outbox',
    sql: `
      -- Every replica says it is alive; work leased by a replica that stopped saying so is taken over.
      CREATE TABLE replicas (
        id text PRIMARY KEY,
        started_at timestamptz NOT NULL DEFAULT now(),
        heartbeat_at timestamptz NOT NULL DEFAULT now()
      );

      -- What Slack got a 200 for, written before the ack: a crash after it loses nothing.
      CREATE TABLE inbox (
        key text PRIMARY KEY,
        kind text NOT NULL,
        payload jsonb NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        leased_by text,
        not_before timestamptz NOT NULL DEFAULT now(),
        done_at timestamptz,
        last_error text
      );
      CREATE INDEX inbox_pending ON inbox (not_before) WHERE state = 'pending';

      -- Slack effects owed by recorded changes, written in the change's transaction.
      CREATE TABLE outbox (
        id bigserial PRIMARY KEY,
        lane text NOT NULL,
        kind text NOT NULL,
        key text NOT NULL UNIQUE,
        incident_id bigint REFERENCES incidents (id) ON DELETE CASCADE,
        payload jsonb NOT NULL DEFAULT '{}',
        progress jsonb NOT NULL DEFAULT '{}',
        state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        done_at timestamptz,
        last_error text
      );
      CREATE INDEX outbox_pending ON outbox (lane, id) WHERE state = 'pending';

      -- One deliverer per lane at a time (order), and a lane throttled by Slack waits alone.
      CREATE TABLE outbox_lanes (
        lane text PRIMARY KEY,
        leased_by text,
        not_before timestamptz NOT NULL DEFAULT now()
      );

      -- Redelivered or re-run commands change nothing twice: each recorded change has one event per request.
      ALTER TABLE timeline_events ADD COLUMN request_id text;
      CREATE UNIQUE INDEX timeline_once_per_request ON timeline_events (request_id) WHERE request_id IS NOT NULL;
      ALTER TABLE incidents ADD COLUMN version integer NOT NULL DEFAULT 1;
      DROP TABLE slack_events_seen;
    `,
  },
  {
    version: 5,
    name: 'postmortems',
    sql: `
      -- Every compiled draft is kept; a recompile with new content is the next version.
      CREATE TABLE postmortems (
        incident_id bigint NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
        version integer NOT NULL CHECK (version > 0),
        markdown text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by text,
        -- what the diff summary of the next version compares: section hashes, event ids, counts
        summary jsonb NOT NULL DEFAULT '{}',
        -- recorded after each publishing step, so a retry does not upload or post twice
        file_id text,
        message_ts text,
        canvas_id text,
        PRIMARY KEY (incident_id, version)
      );
      -- the backfill at close asks for new replies in every thread it has seen
      CREATE INDEX channel_messages_thread ON channel_messages (channel_id, thread_ts) WHERE thread_ts IS NOT NULL;
    `,
  },
  {
    // Numbered as assigned to /locks; the runner applies missing versions, in version order.
    version: 3,
    name: 'locks watches',
    sql: `
      -- /locks watch: one watcher per incident and database, re-sampled by one scheduled job.
      CREATE TABLE locks_watches (
        incident_id bigint NOT NULL REFERENCES incidents (id),
        database text NOT NULL,
        channel_id text NOT NULL,
        started_by text NOT NULL,
        started_at timestamptz NOT NULL DEFAULT now(),
        stopped_at timestamptz,
        -- The picture last posted (roots and their counts): a new post only when it changes.
        last_key text,
        PRIMARY KEY (incident_id, database)
      );
    `,
  },
];

// Entries land from parallel branches in any order; they are applied by version.
export const MIGRATIONS: readonly Migration[] = ALL.sort((a, b) => a.version - b.version);
