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

      -- What the user sees of each case: the server's state with this workstation's pending
      -- mutations replayed on top. Written only by applying events.
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
        -- The full case as JSON; NULL when it is exactly the server's state (read from server_cases).
        data TEXT
      ) STRICT;
      CREATE INDEX cases_by_phone ON cases (callback_phone, opened_at DESC) WHERE callback_phone IS NOT NULL;
      CREATE INDEX cases_by_patient ON cases (patient_name_key) WHERE patient_name_key IS NOT NULL;
      CREATE INDEX cases_by_update ON cases (updated_at DESC);
      CREATE INDEX cases_queue ON cases (priority, waiting_since) WHERE status = 'waiting_regulation';

      -- The server's state of each case as of the sync cursor (last_seq = last event applied).
      CREATE TABLE server_cases (id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL, data TEXT NOT NULL) STRICT;

      -- The medico-legal log: append-only. Local events start 'pending'; the server's verdict
      -- turns them 'accepted' (with its sequence number and time) or 'rejected', once.
      CREATE TABLE case_events (
        local_seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        case_id TEXT NOT NULL REFERENCES cases (id) DEFERRABLE INITIALLY DEFERRED,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        actor_user_id TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        actor_role TEXT NOT NULL,
        workstation_id TEXT NOT NULL,
        client_time INTEGER NOT NULL,
        server_seq INTEGER,
        server_time INTEGER,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected'))
      ) STRICT;
      CREATE INDEX case_events_by_case ON case_events (case_id, local_seq);

      CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
      BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
      CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
      WHEN NEW.id IS NOT OLD.id OR NEW.case_id IS NOT OLD.case_id OR NEW.kind IS NOT OLD.kind
        OR NEW.payload IS NOT OLD.payload OR NEW.actor_user_id IS NOT OLD.actor_user_id
        OR NEW.actor_name IS NOT OLD.actor_name OR NEW.actor_role IS NOT OLD.actor_role
        OR NEW.client_time IS NOT OLD.client_time OR NEW.workstation_id IS NOT OLD.workstation_id
        OR (OLD.server_seq IS NOT NULL AND NEW.server_seq IS NOT OLD.server_seq)
        OR (OLD.server_time IS NOT NULL AND NEW.server_time IS NOT OLD.server_time)
        OR (OLD.status <> 'pending' AND NEW.status IS NOT OLD.status)
      BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
    `,
  },
  {
    version: 2,
    name: 'outbox of mutations and sync state',
    sql: `
      -- Every local mutation (the command, as the user gave it), appended in the same transaction
      -- as its local effect. Never deleted before a verdict. applied_epoch: the server epoch in
      -- which its event came back down the sync stream (until then it stays overlaid on screen).
      CREATE TABLE outbox (
        local_seq INTEGER PRIMARY KEY AUTOINCREMENT,
        mutation_id TEXT NOT NULL UNIQUE,
        case_id TEXT NOT NULL,
        command TEXT NOT NULL,
        claimed_at INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'rejected')),
        server_seq INTEGER,
        applied_epoch TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT
      ) STRICT;
      CREATE INDEX outbox_pending ON outbox (local_seq) WHERE status = 'pending';
      CREATE INDEX outbox_by_case ON outbox (case_id, local_seq);

      CREATE TABLE sync_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        cursor_seq INTEGER NOT NULL DEFAULT 0,
        epoch TEXT,
        snapshot_complete INTEGER NOT NULL DEFAULT 0,
        last_contact_at INTEGER
      ) STRICT;
      INSERT INTO sync_state (id) VALUES (1);
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
  {
    version: 4,
    name: 'form drafts',
    sql: `
      -- What a user typed in a case form and has not yet committed as an event: saved every half
      -- second so that a crash loses nothing, restored when the case is opened again. Local to
      -- this workstation, never synced; gone once the fields became an event.
      CREATE TABLE drafts (
        case_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        base_version INTEGER NOT NULL,
        fields TEXT NOT NULL,
        saved_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 5,
    name: 'duty directory cache',
    sql: `
      -- The center's duty directory as last received (or imported here on a standalone
      -- workstation): one row per kind, so that regulators decide with it offline.
      CREATE TABLE directory (
        kind TEXT PRIMARY KEY CHECK (kind IN ('sectors', 'onCall', 'pharmacies', 'mmgs')),
        version INTEGER NOT NULL,
        data TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 6,
    name: 'PDSA sector in the case list',
    sql: `
      -- The queue filters by sector: the sector joins the summary columns (and the queue's
      -- covering index), filled for the cases already here from their stored state.
      ALTER TABLE cases ADD COLUMN sector_id TEXT;
      UPDATE cases SET sector_id = json_extract(coalesce(data, (SELECT s.data FROM server_cases s WHERE s.id = cases.id)),
        '$.fields.location.sectorId');
      DROP INDEX cases_queue;
      CREATE INDEX cases_queue ON cases (priority, waiting_since, id, reference, status, track, opened_at, updated_at,
        callback_phone, patient_name, patient_sex, patient_birth_date, patient_age_years, commune_name, reason_code,
        taken_by_name, decision_code, sector_id) WHERE status = 'waiting_regulation';
    `,
  },
  {
    version: 7,
    name: 'outbox of call reports',
    sql: `
      -- What this workstation's phone saw of each call, kept until the central server has it.
      CREATE TABLE call_report_outbox (
        local_seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        -- Who was logged in: only their session sends it (the server records the sender).
        user_id TEXT NOT NULL,
        report TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 8,
    name: 'effectors and structures in the duty directory',
    sql: `
      CREATE TABLE directory_next (
        kind TEXT PRIMARY KEY CHECK (kind IN ('sectors', 'onCall', 'pharmacies', 'mmgs', 'structures', 'effectors')),
        version INTEGER NOT NULL,
        data TEXT NOT NULL
      ) STRICT;
      INSERT INTO directory_next SELECT kind, version, data FROM directory;
      DROP TABLE directory;
      ALTER TABLE directory_next RENAME TO directory;
    `,
  },
  {
    version: 9,
    name: 'Hub Santé hand-over in the case list',
    sql: `
      -- The queue marks cases shared with the SAMU over the Hub Santé (and those it handed to us).
      ALTER TABLE cases ADD COLUMN hub_state TEXT;
      DROP INDEX cases_queue;
      CREATE INDEX cases_queue ON cases (priority, waiting_since, id, reference, status, track, opened_at, updated_at,
        callback_phone, patient_name, patient_sex, patient_birth_date, patient_age_years, commune_name, reason_code,
        taken_by_name, decision_code, sector_id, hub_state) WHERE status = 'waiting_regulation';
    `,
  },
  {
    version: 10,
    name: 'free-text drafts',
    sql: `
      -- A note, a reason being typed in a case and not yet sent: kept per user and field so that
      -- closing the case (Escape, another case, a crash) loses nothing. Local, never synced; gone
      -- once its command is accepted or the text is emptied.
      CREATE TABLE text_drafts (
        case_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        field TEXT NOT NULL,
        text TEXT NOT NULL,
        saved_at INTEGER NOT NULL,
        PRIMARY KEY (case_id, user_id, field)
      ) STRICT;
    `,
  },
  {
    version: 11,
    name: 'reads of patient data waiting for the access audit',
    sql: `
      -- A case opened, printed, exported, a search that showed patients: kept until the server's
      -- access audit has it (offline reads are sent later), under the reader's name.
      CREATE TABLE read_outbox (
        local_seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        user_id TEXT NOT NULL,
        read TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 12,
    name: 'closed cases purged from the workstation after their retention',
    sql: `
      -- The event log stays append-only, except inside the purge's own transaction: it holds the
      -- gate's row for its duration only (inserted first, deleted last), so no other write ever sees
      -- it. The server keeps every case; a purged one comes back from it on demand.
      CREATE TABLE purge_gate (open INTEGER PRIMARY KEY CHECK (open = 1)) STRICT;
      DROP TRIGGER case_events_no_delete;
      CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
      WHEN NOT EXISTS (SELECT 1 FROM purge_gate)
      BEGIN SELECT RAISE(ABORT, 'case events are append-only'); END;
    `,
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
