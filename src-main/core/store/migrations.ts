/**
 * Versioned, forward-only migrations of the workstation cache. Each migration's checksum is stored:
 * an edited old migration is refused, and so is a database written by a newer Permanence.
 * Append new migrations at the end; never edit one that has shipped.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'cases and their event log',
    sql: `
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

      -- Projection of each case, written only by applying its events.
      CREATE TABLE cases (
        id TEXT PRIMARY KEY,
        reference TEXT NOT NULL,
        status TEXT NOT NULL,
        priority TEXT,
        track TEXT,
        opened_at INTEGER NOT NULL,
        waiting_since INTEGER,
        updated_at INTEGER NOT NULL,
        version INTEGER NOT NULL,
        callback_phone TEXT,
        patient_name TEXT,
        patient_name_key TEXT,
        patient_sex TEXT,
        patient_birth_date TEXT,
        patient_age_years INTEGER,
        commune_name TEXT,
        reason_code TEXT,
        taken_by_name TEXT,
        decision_code TEXT,
        data TEXT NOT NULL
      ) STRICT;
      CREATE INDEX cases_by_phone ON cases (callback_phone, opened_at DESC) WHERE callback_phone IS NOT NULL;
      CREATE INDEX cases_by_patient ON cases (patient_name_key) WHERE patient_name_key IS NOT NULL;
      CREATE INDEX cases_by_update ON cases (updated_at DESC);
      CREATE INDEX cases_queue ON cases (priority, waiting_since) WHERE status = 'waiting_regulation';

      -- The medico-legal log: append-only.
      CREATE TABLE case_events (
        local_seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        case_id TEXT NOT NULL REFERENCES cases (id),
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        actor_user_id TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        actor_role TEXT NOT NULL,
        workstation_id TEXT NOT NULL,
        client_time INTEGER NOT NULL,
        server_seq INTEGER UNIQUE
      ) STRICT;
      CREATE INDEX case_events_by_case ON case_events (case_id, local_seq);

      CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
      BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
      -- Only the server's sequence number may be filled in later, once.
      CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
      WHEN OLD.server_seq IS NOT NULL OR NEW.id IS NOT OLD.id OR NEW.case_id IS NOT OLD.case_id
        OR NEW.kind IS NOT OLD.kind OR NEW.payload IS NOT OLD.payload OR NEW.actor_user_id IS NOT OLD.actor_user_id
        OR NEW.client_time IS NOT OLD.client_time OR NEW.workstation_id IS NOT OLD.workstation_id
      BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
    `,
  },
  {
    version: 2,
    name: 'outbox of mutations waiting for the central server',
    sql: `
      -- Every local mutation, appended in the same transaction as its local effect.
      -- A row leaves 'pending' only on a server verdict; it is never deleted before.
      CREATE TABLE outbox (
        local_seq INTEGER PRIMARY KEY AUTOINCREMENT,
        mutation_id TEXT NOT NULL UNIQUE,
        case_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        base_version INTEGER,
        claimed_at INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected', 'conflict')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
      ) STRICT;
      CREATE INDEX outbox_pending ON outbox (local_seq) WHERE status = 'pending';

      CREATE TABLE sync_state (
        tenant TEXT PRIMARY KEY,
        cursor_seq INTEGER NOT NULL DEFAULT 0,
        server_epoch TEXT,
        last_contact_at INTEGER
      ) STRICT;
    `,
  },
  {
    version: 3,
    name: 'covering index for the regulation queue',
    sql: `
      -- The queue is re-read on every change: serve it from the index alone (it holds only waiting cases).
      DROP INDEX cases_queue;
      CREATE INDEX cases_queue ON cases (priority, waiting_since, id, reference, status, track, opened_at, updated_at,
        callback_phone, patient_name, patient_sex, patient_birth_date, patient_age_years, commune_name, reason_code,
        taken_by_name, decision_code) WHERE status = 'waiting_regulation';
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
