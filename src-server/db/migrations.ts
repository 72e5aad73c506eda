/**
 * Server schema, versioned and checksummed like the workstation's. Forward-only; never edit a
 * migration that has shipped.
 */
import { createHash } from 'node:crypto';
import type { SqlDatabase } from './sql.js';

export interface ServerMigration {
  version: number;
  name: string;
  sql: string;
}

export const SERVER_MIGRATIONS: readonly ServerMigration[] = [
  {
    version: 1,
    name: 'tenants, users, the event log, verdicts and the case projection',
    sql: `
      CREATE TABLE tenants (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        department TEXT NOT NULL,
        -- Changes when the log goes back in time (restore): workstations then re-push their outbox.
        epoch TEXT NOT NULL,
        last_seq BIGINT NOT NULL DEFAULT 0
      );
      CREATE TABLE users (
        id TEXT PRIMARY KEY,
        tenant TEXT NOT NULL REFERENCES tenants (id),
        login TEXT NOT NULL,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('arm', 'physician', 'supervisor', 'admin')),
        password_hash TEXT NOT NULL,
        active BOOLEAN NOT NULL DEFAULT TRUE,
        UNIQUE (tenant, login)
      );
      -- The medico-legal log: append-only, gapless per tenant, in commit order.
      CREATE TABLE events (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        seq BIGINT NOT NULL,
        id UUID NOT NULL,
        case_id UUID NOT NULL,
        kind TEXT NOT NULL,
        payload TEXT NOT NULL,
        actor_user TEXT NOT NULL,
        actor_name TEXT NOT NULL,
        actor_role TEXT NOT NULL,
        workstation TEXT NOT NULL,
        client_time BIGINT NOT NULL,
        server_time BIGINT NOT NULL,
        PRIMARY KEY (tenant, seq),
        UNIQUE (tenant, id)
      );
      CREATE INDEX events_by_case ON events (tenant, case_id, seq);
      CREATE FUNCTION refuse_event_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'the event log is append-only (% refused)', TG_OP; END $$;
      CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
        FOR EACH ROW EXECUTE FUNCTION refuse_event_change();
      CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
      -- Every verdict, kept under its mutation id: a duplicate push gets the original answer.
      CREATE TABLE mutation_results (
        tenant TEXT NOT NULL,
        mutation_id UUID NOT NULL,
        workstation TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('accepted', 'rejected')),
        seq BIGINT,
        error TEXT,
        decided_at BIGINT NOT NULL,
        PRIMARY KEY (tenant, mutation_id)
      );
      -- Current state of each case (rebuilt from events if need be).
      CREATE TABLE cases (
        tenant TEXT NOT NULL,
        id UUID NOT NULL,
        last_seq BIGINT NOT NULL,
        status TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (tenant, id)
      );
    `,
  },
  {
    version: 2,
    name: 'duty directory and its import log',
    sql: `
      -- Current content of each kind of a center's duty directory (replaced whole by an import).
      CREATE TABLE directories (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        kind TEXT NOT NULL CHECK (kind IN ('sectors', 'onCall', 'pharmacies', 'mmgs')),
        version BIGINT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (tenant, kind)
      );
      -- Who imported what and when; one row per import, never changed.
      CREATE TABLE directory_imports (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        version BIGINT NOT NULL,
        kind TEXT NOT NULL,
        row_count INTEGER NOT NULL,
        imported_at BIGINT NOT NULL,
        imported_by TEXT NOT NULL,
        PRIMARY KEY (tenant, version)
      );
      CREATE TRIGGER directory_imports_append_only BEFORE UPDATE OR DELETE ON directory_imports
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
    `,
  },
  {
    version: 3,
    name: 'telephony settings of a center and SIP accounts of its users',
    sql: `
      -- The center's SIP server (WebSocket URL, domain) and each user's SIP account, handed to
      -- the workstation at login (kept in memory there, never on disk). A SIP digest needs the
      -- secret itself: it is the telephony account's, not the user's login password.
      ALTER TABLE tenants ADD COLUMN sip_ws_url TEXT;
      ALTER TABLE tenants ADD COLUMN sip_domain TEXT;
      ALTER TABLE users ADD COLUMN sip_username TEXT;
      ALTER TABLE users ADD COLUMN sip_password TEXT;
    `,
  },
  {
    version: 4,
    name: 'agent states and their log',
    sql: `
      -- What supervisors see: each agent's current state (available, busy, pause, offline).
      CREATE TABLE agent_states (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        user_id TEXT NOT NULL,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL,
        workstation TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('available', 'busy', 'pause', 'offline')),
        reason TEXT,
        since BIGINT NOT NULL,
        PRIMARY KEY (tenant, user_id)
      );
      -- Every change, never rewritten (time in state, statistics).
      CREATE TABLE agent_state_log (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        user_id TEXT NOT NULL,
        workstation TEXT NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        at BIGINT NOT NULL
      );
      CREATE INDEX agent_state_log_by_time ON agent_state_log (tenant, at);
      CREATE TRIGGER agent_state_log_append_only BEFORE UPDATE OR DELETE ON agent_state_log
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
    `,
  },
  {
    version: 5,
    name: 'the call log, case facts for statistics, incentive settings',
    sql: `
      -- What each phone reported of each call, as received: never changed (medico-legal trace).
      CREATE TABLE call_reports (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        id UUID NOT NULL,
        call_id TEXT NOT NULL,
        user_id TEXT NOT NULL,
        workstation TEXT NOT NULL,
        received_at BIGINT NOT NULL,
        report TEXT NOT NULL,
        PRIMARY KEY (tenant, id)
      );
      CREATE TRIGGER call_reports_append_only BEFORE UPDATE OR DELETE ON call_reports
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
      -- Each call of the center: every phone's reports merged (rebuilt from call_reports if need be).
      CREATE TABLE calls (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        call_id TEXT NOT NULL,
        direction TEXT NOT NULL,
        internal_transfer BOOLEAN NOT NULL,
        status TEXT NOT NULL,
        arrived_at BIGINT NOT NULL,
        answered_at BIGINT,
        ended_at BIGINT,
        transferred BOOLEAN NOT NULL,
        case_id UUID,
        data TEXT NOT NULL,
        PRIMARY KEY (tenant, call_id)
      );
      CREATE INDEX calls_by_arrival ON calls (tenant, arrived_at);
      CREATE INDEX calls_live ON calls (tenant, status) WHERE status <> 'ended';
      -- What statistics need of each case, kept by the writer in the same commit as the case.
      CREATE TABLE case_facts (
        tenant TEXT NOT NULL,
        case_id UUID NOT NULL,
        opened_at BIGINT NOT NULL,
        priority TEXT,
        sector_id TEXT,
        decision TEXT,
        first_decided_at BIGINT,
        decided_by TEXT,
        decided_by_name TEXT,
        reopen_count INTEGER NOT NULL,
        first_answered_at BIGINT,
        PRIMARY KEY (tenant, case_id)
      );
      CREATE INDEX case_facts_by_opening ON case_facts (tenant, opened_at);
      INSERT INTO case_facts
        SELECT tenant, id, (d->>'openedAt')::bigint, d->'fields'->>'priority', d->'fields'->'location'->>'sectorId',
          d->'decision'->>'code', coalesce((d->>'firstDecidedAt')::bigint, (d->>'decidedAt')::bigint),
          d->'decidedBy'->>'userId', d->'decidedBy'->>'displayName', coalesce((d->>'reopenCount')::int, 0),
          (SELECT min((c->>'answeredAt')::bigint) FROM jsonb_array_elements(coalesce(d->'calls', '[]'::jsonb)) c
            WHERE c->>'direction' = 'in' AND c->>'answeredAt' IS NOT NULL)
        FROM (SELECT tenant, id, data::jsonb AS d FROM cases) AS x;
      -- What the incentive scheme pays per regulation act, per center (cents; admin-editable).
      CREATE TABLE incentive_settings (
        tenant TEXT PRIMARY KEY REFERENCES tenants (id),
        amount_per_act_cents INTEGER NOT NULL CHECK (amount_per_act_cents >= 0),
        year_end_complement_cents INTEGER NOT NULL CHECK (year_end_complement_cents >= 0),
        updated_at BIGINT NOT NULL,
        updated_by TEXT NOT NULL
      );
    `,
  },
  {
    version: 6,
    name: 'SIP digest secrets as HA1, not passwords',
    sql: `
      -- The workstation needs only MD5(username:realm:password) to answer a digest challenge; the
      -- SIP password itself no longer leaves the server, nor is kept by it. The realm is the
      -- center's SIP domain: changing that domain means entering the SIP passwords again.
      ALTER TABLE users ADD COLUMN sip_ha1 TEXT;
      UPDATE users u SET sip_ha1 = md5(u.sip_username || ':' || t.sip_domain || ':' || u.sip_password)
        FROM tenants t WHERE t.id = u.tenant AND u.sip_password IS NOT NULL AND t.sip_domain IS NOT NULL;
      ALTER TABLE users DROP COLUMN sip_password;
    `,
  },
  {
    version: 7,
    name: 'effector doctors: accounts, availability, requests (notification cascade), outcomes',
    sql: `
      -- Effectors and structures are two more kinds of the duty directory (one list of doctors).
      ALTER TABLE directories DROP CONSTRAINT directories_kind_check;
      ALTER TABLE directories ADD CONSTRAINT directories_kind_check
        CHECK (kind IN ('sectors', 'onCall', 'pharmacies', 'mmgs', 'structures', 'effectors'));
      -- Effectors log in to their phone page with their RPPS (or ADELI): not workstation users.
      CREATE TABLE effector_accounts (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        effector_id TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        active BOOLEAN NOT NULL DEFAULT TRUE,
        PRIMARY KEY (tenant, effector_id)
      );
      CREATE TABLE effector_availability (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        effector_id TEXT NOT NULL,
        data TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (tenant, effector_id)
      );
      CREATE TABLE effector_availability_log (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        effector_id TEXT NOT NULL,
        at BIGINT NOT NULL,
        changed_by TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE TRIGGER effector_availability_log_append_only BEFORE UPDATE OR DELETE ON effector_availability_log
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
      -- A request of the regulation to effectors; 'cascade' is the state machine's state (JSON).
      CREATE TABLE effector_requests (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        id UUID NOT NULL,
        case_id UUID NOT NULL,
        need TEXT NOT NULL CHECK (need IN ('consultation', 'visit')),
        delay TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'accepted', 'unanswered', 'cancelled')),
        sent_at BIGINT NOT NULL,
        sent_by TEXT NOT NULL,
        sent_by_name TEXT NOT NULL,
        offer TEXT NOT NULL,
        cascade TEXT NOT NULL,
        treating_doctor_id TEXT,
        accepted_by TEXT,
        accepted_at BIGINT,
        treating_informed BOOLEAN NOT NULL DEFAULT FALSE,
        PRIMARY KEY (tenant, id)
      );
      -- One live request per case: a second "send" while one runs is refused.
      CREATE UNIQUE INDEX effector_requests_one_open ON effector_requests (tenant, case_id) WHERE state = 'open';
      CREATE INDEX effector_requests_by_case ON effector_requests (tenant, case_id);
      -- Everything that happened to a request (sent, tier opened, accepted, declined, ...): the trace.
      CREATE TABLE effector_request_log (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        request_id UUID NOT NULL,
        at BIGINT NOT NULL,
        kind TEXT NOT NULL,
        effector_id TEXT,
        actor TEXT NOT NULL,
        detail TEXT
      );
      CREATE INDEX effector_request_log_by_request ON effector_request_log (tenant, request_id, at);
      CREATE TRIGGER effector_request_log_append_only BEFORE UPDATE OR DELETE ON effector_request_log
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
      -- What the effector recorded after seeing the patient (once per request).
      CREATE TABLE effector_outcomes (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        request_id UUID NOT NULL,
        effector_id TEXT NOT NULL,
        data TEXT NOT NULL,
        at BIGINT NOT NULL,
        PRIMARY KEY (tenant, request_id)
      );
      CREATE TRIGGER effector_outcomes_append_only BEFORE UPDATE OR DELETE ON effector_outcomes
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
      CREATE TABLE cascade_settings (
        tenant TEXT PRIMARY KEY REFERENCES tenants (id),
        treating_doctor_ms INTEGER NOT NULL CHECK (treating_doctor_ms >= 0),
        tier_ms INTEGER NOT NULL CHECK (tier_ms > 0),
        updated_at BIGINT NOT NULL,
        updated_by TEXT NOT NULL
      );
    `,
  },
  {
    version: 8,
    name: 'shared agenda: partner organisations, slots, bookings',
    sql: `
      -- Partner organisations of a center (tele-secretariat, SAMU/SAS, an emergency department, a
      -- CPTS) and what each may see and book. A user with no organisation is the center's own regulation.
      CREATE TABLE organisations (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        id TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (tenant, id)
      );
      ALTER TABLE users ADD COLUMN organisation_id TEXT;
      CREATE TABLE slots (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        id UUID NOT NULL,
        series UUID NOT NULL,
        effector_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('single', 'range')),
        start_at BIGINT NOT NULL,
        end_at BIGINT NOT NULL CHECK (end_at > start_at),
        capacity INTEGER NOT NULL CHECK (capacity > 0),
        modality TEXT NOT NULL CHECK (modality IN ('cabinet', 'teleconsultation', 'home_visit')),
        place_id TEXT,
        sectors TEXT[] NOT NULL,
        visibility TEXT NOT NULL CHECK (visibility IN ('public', 'pro', 'snp', 'cpts')),
        cpts TEXT[] NOT NULL,
        cancelled BOOLEAN NOT NULL DEFAULT FALSE,
        created_at BIGINT NOT NULL,
        created_by TEXT NOT NULL,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX slots_by_start ON slots (tenant, start_at) WHERE NOT cancelled;
      CREATE INDEX slots_by_effector ON slots (tenant, effector_id, start_at);
      CREATE TABLE slot_bookings (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        id UUID NOT NULL,
        slot_id UUID,
        effector_id TEXT NOT NULL,
        surnombre BOOLEAN NOT NULL,
        at BIGINT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('held', 'booked', 'fulfilled', 'no_show', 'cancelled')),
        held_until BIGINT,
        booked_by TEXT NOT NULL,
        booked_by_name TEXT NOT NULL,
        organisation TEXT NOT NULL,
        case_id UUID,
        reason TEXT NOT NULL,
        delay TEXT NOT NULL,
        patient TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (tenant, id),
        CHECK (surnombre = (slot_id IS NULL))
      );
      CREATE INDEX slot_bookings_by_slot ON slot_bookings (tenant, slot_id);
      CREATE INDEX slot_bookings_by_effector ON slot_bookings (tenant, effector_id, at);
      -- Every change of the agenda (published, cancelled, held, booked, outcome): the trace.
      CREATE TABLE agenda_log (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        at BIGINT NOT NULL,
        kind TEXT NOT NULL,
        slot_id UUID,
        booking_id UUID,
        actor TEXT NOT NULL,
        detail TEXT
      );
      CREATE TRIGGER agenda_log_append_only BEFORE UPDATE OR DELETE ON agenda_log
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
    `,
  },
  {
    version: 9,
    name: 'Hub Santé: outbox, inbox (applied once, quarantine), journal, SAS appointments',
    sql: `
      -- What we send, written in the same transaction as the case change that causes it, then
      -- published in id order by the center's one dispatcher and followed until acknowledged.
      CREATE TABLE hub_outbox (
        id BIGSERIAL PRIMARY KEY,
        tenant TEXT NOT NULL REFERENCES tenants (id),
        distribution_id TEXT NOT NULL,
        recipient TEXT NOT NULL,
        kind TEXT NOT NULL,
        use_case TEXT NOT NULL,
        label TEXT NOT NULL,
        case_id UUID,
        hub_case_id TEXT,
        link TEXT,
        body TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'published', 'received', 'integrated', 'refused', 'error', 'invalid')),
        steps TEXT NOT NULL DEFAULT '{}',
        attempts INTEGER NOT NULL DEFAULT 0,
        last_attempt_at BIGINT,
        error_code INTEGER,
        error_cause TEXT,
        overdue BOOLEAN NOT NULL DEFAULT FALSE,
        -- The partner's message this one answers (an RC-REF or an RS-ERROR of ours).
        answers TEXT,
        UNIQUE (tenant, distribution_id)
      );
      CREATE INDEX hub_outbox_open ON hub_outbox (tenant, id) WHERE state IN ('pending', 'published', 'received');
      CREATE INDEX hub_outbox_by_hub_case ON hub_outbox (tenant, hub_case_id);
      CREATE INDEX hub_outbox_by_case ON hub_outbox (tenant, case_id);
      -- What we received, by distributionID: applied once; what could not be integrated waits in
      -- quarantine for a supervisor to read and replay.
      CREATE TABLE hub_inbox (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        distribution_id TEXT NOT NULL,
        sender TEXT NOT NULL,
        kind TEXT NOT NULL,
        use_case TEXT NOT NULL,
        case_id UUID,
        status TEXT NOT NULL CHECK (status IN ('applied', 'quarantined', 'replayed', 'recorded')),
        error_code INTEGER,
        error_cause TEXT,
        received_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        replays INTEGER NOT NULL DEFAULT 0,
        body TEXT NOT NULL,
        PRIMARY KEY (tenant, distribution_id)
      );
      CREATE INDEX hub_inbox_quarantine ON hub_inbox (tenant, received_at) WHERE status = 'quarantined';
      -- Every message in and out, verbatim, with its time: append-only like the case events.
      CREATE TABLE hub_journal (
        seq BIGSERIAL PRIMARY KEY,
        tenant TEXT NOT NULL REFERENCES tenants (id),
        at BIGINT NOT NULL,
        direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
        distribution_id TEXT,
        sender TEXT,
        recipient TEXT,
        kind TEXT,
        use_case TEXT,
        case_id UUID,
        note TEXT,
        body TEXT NOT NULL
      );
      CREATE INDEX hub_journal_by_case ON hub_journal (tenant, case_id, seq);
      CREATE INDEX hub_journal_by_distribution ON hub_journal (tenant, distribution_id);
      CREATE TRIGGER hub_journal_append_only BEFORE UPDATE OR DELETE ON hub_journal
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_event_change();
      -- Appointments booked by the national SAS platform (RS-SAS-RDV): they carry no case id; a
      -- regulator links each to a case. An update of an unknown appointment creates it.
      CREATE TABLE hub_appointments (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        appointment_id TEXT NOT NULL,
        data TEXT NOT NULL,
        status TEXT,
        start_at BIGINT,
        case_id UUID,
        linked_by TEXT,
        received_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        last_distribution_id TEXT NOT NULL,
        PRIMARY KEY (tenant, appointment_id)
      );
      CREATE INDEX hub_appointments_by_time ON hub_appointments (tenant, start_at);
    `,
  },
  {
    version: 10,
    name: 'Hub Santé: fewer copies of a message on the path of its acknowledgement',
    sql: `
      -- An integrated message is kept verbatim in the journal: its inbox row no longer holds a
      -- second copy (a quarantined one does, for the supervisor who reads and replays it).
      ALTER TABLE hub_inbox ALTER COLUMN body DROP NOT NULL;
      -- An outbox row is updated when published and at each step of its delivery: a case message
      -- (larger than a page's quarter) is stored apart, uncompressed, so that an update copies a
      -- pointer, not the message; a small acknowledgement stays in its row.
      ALTER TABLE hub_outbox ALTER COLUMN body SET STORAGE EXTERNAL;
    `,
  },
  {
    version: 11,
    name: 'cancelled cases left out of the statistics',
    sql: `
      -- A case opened by mistake and cancelled was never a patient's case: statistics skip it.
      ALTER TABLE case_facts ADD COLUMN cancelled BOOLEAN NOT NULL DEFAULT false;
      UPDATE case_facts f SET cancelled = true FROM cases c
        WHERE c.tenant = f.tenant AND c.id = f.case_id AND c.status = 'cancelled';
    `,
  },
  {
    version: 12,
    name: 'PDSA rules per center',
    sql: `
      -- The department's PDSA rules as its admin sets them (the ARS's decisions): statistics and
      -- every workstation's PDSA banner follow them.
      CREATE TABLE pdsa_settings (
        tenant TEXT PRIMARY KEY REFERENCES tenants (id),
        saturday_start_hour INTEGER NOT NULL CHECK (saturday_start_hour BETWEEN 8 AND 20),
        bridge_days TEXT NOT NULL,
        auto_bridge_days BOOLEAN NOT NULL,
        updated_at BIGINT NOT NULL,
        updated_by TEXT NOT NULL
      );
    `,
  },
  {
    version: 13,
    name: 'server-side sessions, the account and access audits, login limits',
    sql: `
      -- A token names its session: logging out, a password change, a deactivation or a change of
      -- role ends the session and every token of it at once (refresh looks here each time).
      CREATE TABLE sessions (
        id UUID PRIMARY KEY,
        tenant TEXT NOT NULL REFERENCES tenants (id),
        -- A user's id, or 'effector:' and the effector's RPPS.
        principal TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('workstation', 'effector')),
        workstation TEXT NOT NULL,
        address TEXT,
        method TEXT NOT NULL,
        acr TEXT,
        started_at BIGINT NOT NULL,
        last_seen_at BIGINT NOT NULL,
        -- The end of the session whatever the refreshes (a shift).
        expires_at BIGINT NOT NULL,
        ended_at BIGINT,
        ended_reason TEXT
      );
      CREATE INDEX sessions_open ON sessions (tenant, principal) WHERE ended_at IS NULL;
      -- Who changed which account or setting, when, from where: append-only.
      CREATE TABLE account_audit (
        id BIGSERIAL PRIMARY KEY,
        tenant TEXT NOT NULL REFERENCES tenants (id),
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        address TEXT,
        detail JSONB
      );
      CREATE INDEX account_audit_by_time ON account_audit (tenant, at);
      -- Who read what of a patient: every case opened, fetched, exported, every search that returned
      -- patients, every identity revealed to an effector. Append-only; kept apart from the cases.
      CREATE TABLE access_audit (
        id BIGSERIAL PRIMARY KEY,
        tenant TEXT NOT NULL REFERENCES tenants (id),
        at BIGINT NOT NULL,
        user_id TEXT NOT NULL,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL,
        organisation TEXT,
        workstation TEXT,
        address TEXT,
        action TEXT NOT NULL,
        case_id UUID,
        detail TEXT,
        reason TEXT,
        -- A read made offline on a workstation, sent later: its id there (sent twice, kept once).
        client_id UUID UNIQUE
      );
      CREATE INDEX access_audit_by_case ON access_audit (tenant, case_id, at);
      CREATE INDEX access_audit_by_user ON access_audit (tenant, user_id, at);
      -- Append-only: a change or a deletion is refused loudly (a purge after the retention period is a
      -- deliberate, logged operation that drops this trigger in its own transaction).
      CREATE FUNCTION refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit records are append-only (%)', TG_TABLE_NAME;
      END $$;
      CREATE TRIGGER access_audit_append_only BEFORE UPDATE OR DELETE ON access_audit FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
      CREATE TRIGGER account_audit_append_only BEFORE UPDATE OR DELETE ON account_audit FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
      -- Login attempts per account and per address (rate-limiter-flexible's PostgreSQL layout): the
      -- growing delays survive a restart of the server.
      CREATE TABLE login_limits (
        key VARCHAR(255) PRIMARY KEY,
        points INTEGER NOT NULL DEFAULT 0,
        expire BIGINT
      );
    `,
  },
  {
    version: 14,
    name: 'second factor (TOTP) and the center security settings',
    sql: `
      -- The user's TOTP secret, sealed with a server key (AES-256-GCM): the one in use, the one
      -- being enrolled (until a first code confirms it), and the last time step used (a code is
      -- never accepted twice).
      ALTER TABLE users ADD COLUMN totp_secret TEXT;
      ALTER TABLE users ADD COLUMN totp_pending TEXT;
      ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
      -- A session opened by a password alone where the center requires a second factor: it may
      -- only enrol one, then it is a full session.
      ALTER TABLE sessions ADD COLUMN enrolment_pending BOOLEAN NOT NULL DEFAULT false;
      CREATE TABLE security_settings (
        tenant TEXT PRIMARY KEY REFERENCES tenants (id),
        require_second_factor BOOLEAN NOT NULL,
        -- Idle time before a workstation locks, per role (seconds).
        idle_lock_seconds JSONB NOT NULL,
        updated_at BIGINT NOT NULL,
        updated_by TEXT NOT NULL
      );
    `,
  },
  {
    version: 15,
    name: 'the RPPS of users (Pro Santé Connect)',
    sql: `
      -- Pro Santé Connect says who logs in by national id (SubjectNameID = "8" + RPPS): the account
      -- it opens is the one with that RPPS in the center.
      ALTER TABLE users ADD COLUMN rpps TEXT;
      CREATE UNIQUE INDEX users_by_rpps ON users (tenant, rpps) WHERE rpps IS NOT NULL;
    `,
  },
  {
    version: 16,
    name: 'searching the cases that workstations no longer keep',
    sql: `
      -- Workstations keep recent cases only; a search on one also asks the server, by callback
      -- number (canonical, as the workstation stores it) or by the start of the patient's name.
      CREATE INDEX cases_by_phone ON cases (tenant, ((data::jsonb -> 'fields' ->> 'callbackPhone')));
      CREATE INDEX cases_by_last_name ON cases (tenant, (lower(data::jsonb -> 'fields' -> 'patient' ->> 'lastName')) text_pattern_ops);
    `,
  },
  {
    version: 17,
    name: 'the lines call queue and the abandoned calls to call back',
    sql: `
      -- Every call that reached one of the center's lines, from its arrival to its end: the queue
      -- survives a restart of the server (a waiting call's parked SIP transaction is named by
      -- tindex/tlabel in Kamailio), and the wall screen's figures come from it.
      CREATE TABLE line_calls (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        call_id TEXT NOT NULL,
        line TEXT NOT NULL,
        caller TEXT NOT NULL,
        hub_case TEXT,
        arrived_at BIGINT NOT NULL,
        tindex BIGINT NOT NULL,
        tlabel BIGINT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('waiting', 'offered', 'answered', 'abandoned', 'ended', 'refused')),
        offered_to TEXT,
        offered_at BIGINT,
        declined_by TEXT[] NOT NULL DEFAULT '{}',
        answered_by TEXT,
        answered_at BIGINT,
        ended_at BIGINT,
        PRIMARY KEY (tenant, call_id)
      );
      CREATE INDEX line_calls_open ON line_calls (tenant) WHERE state IN ('waiting', 'offered');
      CREATE INDEX line_calls_by_arrival ON line_calls (tenant, arrived_at);
      -- Callers who hung up before being answered, one open entry per number (repeated abandons
      -- are counted on it); closed when an agent called back.
      CREATE TABLE callbacks (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        id UUID NOT NULL,
        number TEXT NOT NULL,
        line TEXT NOT NULL,
        first_at BIGINT NOT NULL,
        last_at BIGINT NOT NULL,
        abandons INTEGER NOT NULL,
        longest_wait_ms BIGINT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('open', 'calling', 'done')),
        claimed_by TEXT,
        claimed_at BIGINT,
        call_id TEXT,
        outcome TEXT,
        case_id UUID,
        closed_at BIGINT,
        PRIMARY KEY (tenant, id)
      );
      CREATE UNIQUE INDEX callbacks_one_open_per_number ON callbacks (tenant, number) WHERE state <> 'done';
    `,
  },
  {
    version: 18,
    name: 'the recordings of the lines conversations',
    sql: `
      -- Every conversation on the lines, recorded by rtpengine and kept encrypted on the server's
      -- disk until its retention ends; the row stays after the purge (what was purged, when).
      CREATE TABLE recordings (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        id UUID NOT NULL,
        call_id TEXT NOT NULL,
        line TEXT NOT NULL,
        caller TEXT NOT NULL,
        agent TEXT,
        started_at BIGINT NOT NULL,
        duration_ms BIGINT NOT NULL,
        format TEXT NOT NULL,
        bytes BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        file TEXT NOT NULL,
        stored_at BIGINT NOT NULL,
        purged_at BIGINT,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX recordings_by_call ON recordings (tenant, call_id);
      CREATE INDEX recordings_to_purge ON recordings (started_at) WHERE purged_at IS NULL;
      -- Where each line call's recording stands: the wall screen alerts on a failed one.
      ALTER TABLE line_calls ADD COLUMN caller_media TEXT;
      ALTER TABLE line_calls ADD COLUMN recording TEXT NOT NULL DEFAULT 'none' CHECK (recording IN ('none', 'recording', 'stored', 'failed'));
      CREATE INDEX line_calls_recording_failed ON line_calls (tenant, arrived_at) WHERE recording = 'failed';
    `,
  },
  {
    version: 19,
    name: 'one writer per center: the holder of its lock, fenced by a token',
    sql: `
      -- The instance that holds a center's advisory lock writes its token here when it takes the
      -- center over; every commit of its writer checks it with the head (compare-and-set): an
      -- instance that lost the lock (frozen, cut off) and wakes up writes nothing.
      ALTER TABLE tenants ADD COLUMN writer_token TEXT;
      ALTER TABLE tenants ADD COLUMN writer_instance TEXT;
      -- Where the other instances forward a workstation's push (the holder's own API address).
      ALTER TABLE tenants ADD COLUMN writer_url TEXT;
      ALTER TABLE tenants ADD COLUMN writer_since BIGINT;
      -- A commit refused because this writer no longer holds the center (SQLSTATE PX001, distinct
      -- from a known mutation's division by zero and from a unique violation).
      CREATE FUNCTION permanence_not_holder(tenant TEXT) RETURNS INTEGER LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'this instance no longer holds center %', tenant USING ERRCODE = 'PX001'; END $$;
      -- Frames (agent states, the call log, the lines…) too large for a NOTIFY payload travel
      -- through this table to the other instances; rows older than a minute are deleted.
      CREATE TABLE instance_frames (
        id BIGSERIAL PRIMARY KEY,
        tenant TEXT NOT NULL,
        origin TEXT NOT NULL,
        body TEXT NOT NULL,
        at BIGINT NOT NULL
      );
    `,
  },
  {
    version: 20,
    name: 'one-time WebSocket tickets shared by every instance',
    sql: `
      -- A browser's WebSocket presents a one-time ticket (it cannot send a header): kept here so that
      -- the instance that opens the socket need not be the one that gave the ticket (a load balancer
      -- in front of several instances). Only a hash of the ticket is stored; a ticket lives 30 s and
      -- is deleted as it is used.
      CREATE TABLE ws_tickets (
        ticket_hash TEXT PRIMARY KEY,
        principal TEXT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX ws_tickets_expiry ON ws_tickets (expires_at);
    `,
  },
  {
    version: 21,
    name: 'the end of a line call that hears a final message survives a restart',
    sql: `
      -- A caller who hears the closed line's or the overflow's message is ended once it is over;
      -- kept here so that a restart (or another instance taking over) still ends the call then,
      -- instead of leaving it parked in Kamailio until its 15-minute limit.
      ALTER TABLE line_calls ADD COLUMN message_ends_at BIGINT;
      CREATE INDEX line_calls_message_endings ON line_calls (message_ends_at) WHERE message_ends_at IS NOT NULL;
    `,
  },
  {
    version: 22,
    name: 'a line call rings several agents at once (ring-all lines)',
    sql: `
      -- The agents whose phones ring for the call: one, or every free agent of a ring-all line.
      ALTER TABLE line_calls ALTER COLUMN offered_to TYPE TEXT[] USING CASE WHEN offered_to IS NULL THEN NULL ELSE ARRAY[offered_to] END;
    `,
  },
  {
    version: 23,
    name: 'the conversations recorded outside the lines queue',
    sql: `
      -- Every call rtpengine bridges is recorded, not only the lines' calls: a caller's leg after
      -- a transfer (the physician's conversation with the patient), a callback to a patient, a
      -- desk phone's call. caller: the patient's (plain RTP) side; agent: the center's user.
      CREATE TABLE recorded_calls (
        tenant TEXT NOT NULL REFERENCES tenants (id),
        call_id TEXT NOT NULL,
        caller TEXT NOT NULL,
        agent TEXT,
        caller_media TEXT,
        answered_at BIGINT NOT NULL,
        ended_at BIGINT,
        recording TEXT NOT NULL DEFAULT 'recording' CHECK (recording IN ('recording', 'stored', 'failed')),
        PRIMARY KEY (tenant, call_id)
      );
      CREATE INDEX recorded_calls_by_call ON recorded_calls (call_id);
      CREATE INDEX recorded_calls_failed ON recorded_calls (tenant, answered_at) WHERE recording = 'failed';
    `,
  },
  {
    version: 24,
    name: 'an access record costs the writer nothing',
    sql: `
      -- Each access record's foreign key locked the center's row (FOR KEY SHARE) that the writer
      -- updates at every commit: 500 audited reads/s slowed the writer by a third. The center comes
      -- from a verified token, and centers are never deleted (their records are kept for years).
      ALTER TABLE access_audit DROP CONSTRAINT access_audit_tenant_fkey;
      -- Only a workstation's offline read has an id of its own: index those, not every server read.
      ALTER TABLE access_audit DROP CONSTRAINT access_audit_client_id_key;
      CREATE UNIQUE INDEX access_audit_client_id ON access_audit (client_id) WHERE client_id IS NOT NULL;
    `,
  },
  {
    version: 25,
    name: 'the search keys of a case in columns of their own',
    sql: `
      -- The server's search by callback number or name start used indexes on expressions of the
      -- case's JSON: PostgreSQL parsed every case the writer wrote, once per index. The writer now
      -- writes the keys; the name's is the workstations' search key (src-shared/text/normalize.ts:
      -- accents and case folded, anything but A–Z and 0–9 a space), computed here alike for the
      -- Latin letters (the writer's own covers every script).
      ALTER TABLE cases ADD COLUMN search_phone TEXT, ADD COLUMN search_last_name TEXT;
      UPDATE cases SET search_phone = data::jsonb -> 'fields' ->> 'callbackPhone',
        search_last_name = NULLIF(trim(regexp_replace(upper(replace(replace(replace(replace(translate(
          data::jsonb -> 'fields' -> 'patient' ->> 'lastName',
          'ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĄąĆćĈĉĊċČčĎďĒēĔĕĖėĘęĚěĜĝĞğĠġĢģĤĥĨĩĪīĬĭĮįİĴĵĶķĹĺĻļĽľŃńŅņŇňŌōŎŏŐőŔŕŖŗŘřŚśŜŝŞşŠšŢţŤťŨũŪūŬŭŮůŰűŲųŴŵŶŷŸŹźŻżŽž',
          'AAAAAACEEEEIIIINOOOOOUUUUYaaaaaaceeeeiiiinooooouuuuyyAaAaAaCcCcCcCcDdEeEeEeEeEeGgGgGgGgHhIiIiIiIiIJjKkLlLlLlNnNnNnOoOoOoRrRrRrSsSsSsSsTtTtUuUuUuUuUuUuWwYyYZzZzZz'),
          'œ', 'OE'), 'Œ', 'OE'), 'æ', 'AE'), 'Æ', 'AE')), '[^A-Z0-9]+', ' ', 'g')), '');
      DROP INDEX cases_by_phone;
      DROP INDEX cases_by_last_name;
      CREATE INDEX cases_by_phone ON cases (tenant, search_phone) WHERE search_phone IS NOT NULL;
      CREATE INDEX cases_by_last_name ON cases (tenant, search_last_name text_pattern_ops) WHERE search_last_name IS NOT NULL;
    `,
  },
  {
    version: 26,
    name: 'the writer locks no center row per event it writes',
    sql: `
      -- Each event's foreign key to its center ran a trigger that locked the center's row (FOR KEY
      -- SHARE), the row the writer updates at every commit (its head): one lock per event. Without
      -- it the writer takes 7 % more mutations a second. The center of an event comes from the
      -- writer's own lease, and centers are never deleted (as for the access audit, migration 24).
      ALTER TABLE events DROP CONSTRAINT events_tenant_fkey;
    `,
  },
  {
    version: 27,
    name: 'our answers to the partner leave the index of messages waiting once published',
    sql: `
      -- Our answers (RC-REF, RS-ERROR) are never acknowledged: once published they stayed in the
      -- index of open messages for good, and the follow-up (every second: expiry, lateness) and the
      -- supervisor's list, which all skip answers, read past every answer ever sent. Two indexes:
      -- what is still to publish (answers included), and our messages waiting for the partner.
      DROP INDEX hub_outbox_open;
      CREATE INDEX hub_outbox_pending ON hub_outbox (tenant, id) WHERE state = 'pending';
      CREATE INDEX hub_outbox_waiting ON hub_outbox (tenant, id) WHERE answers IS NULL AND state IN ('pending', 'published', 'received');
    `,
  },
  {
    version: 28,
    name: 'the Hub rows written with a commit lock no center row either',
    sql: `
      -- As the events' (migration 26): each row of the outbox, the inbox and the journal checked its
      -- center by a trigger that locked the center's row (FOR KEY SHARE), the row the writer's commit
      -- updates (its head): three such checks for each partner message integrated, 8 % of
      -- PostgreSQL's time in a Hub burst. These rows are written only by the Hub link of a center
      -- the server checked at start, and centers are never deleted.
      ALTER TABLE hub_outbox DROP CONSTRAINT hub_outbox_tenant_fkey;
      ALTER TABLE hub_inbox DROP CONSTRAINT hub_inbox_tenant_fkey;
      ALTER TABLE hub_journal DROP CONSTRAINT hub_journal_tenant_fkey;
    `,
  },
  {
    version: 29,
    name: 'an outbox row marked published is rewritten on its own page',
    sql: `
      -- Every row of the outbox is rewritten at least once (published; our case messages again at
      -- each step the partner tells). Its state is in the partial indexes, so the new version is
      -- never a HOT update; on a full page it also went to another page: the old version locked
      -- first and the whole new one logged (1.2 kB of WAL an answer). Pages filled by half leave
      -- room for it beside the old one, where only what changed is logged: 10 % less WAL and about
      -- 15 % less of PostgreSQL's time in a Hub burst. Applies to the pages written from now on.
      ALTER TABLE hub_outbox SET (fillfactor = 50);
    `,
  },
  {
    version: 30,
    name: 'the outbox indexes only what is looked up',
    sql: `
      -- hub_outbox_by_case served no statement, and our answers (RC-REF, RS-ERROR), one for each
      -- message received, sat in hub_outbox_by_hub_case which only finds the case of a message we
      -- sent: each answer put four entries in them (written, then rewritten when published).
      DROP INDEX hub_outbox_by_case;
      DROP INDEX hub_outbox_by_hub_case;
      CREATE INDEX hub_outbox_by_hub_case ON hub_outbox (tenant, hub_case_id) WHERE answers IS NULL;
    `,
  },
];

export const LATEST_SERVER_SCHEMA_VERSION = SERVER_MIGRATIONS[SERVER_MIGRATIONS.length - 1]!.version;

const checksum = (m: ServerMigration) => createHash('sha256').update(m.sql).digest('hex');

export class ServerSchemaTooNewError extends Error {
  constructor(found: number, supported: number) {
    super(`database schema ${found} is newer than this server supports (${supported}): upgrade the server`);
  }
}

/**
 * The advisory lock that several instances starting at once take to migrate one after the other;
 * a class of its own, apart from the centers' (7411, hashtext(center)), which any key may collide with.
 */
export const MIGRATION_LOCK: readonly [number, number] = [7412, 0];

export async function migrateServer(db: SqlDatabase, migrations = SERVER_MIGRATIONS, upTo = Infinity): Promise<number> {
  // Two instances started together on an empty database: the second waits, then finds nothing to do.
  if (db.exclusive) return db.exclusive(MIGRATION_LOCK, () => migrateUnlocked(db, migrations, upTo));
  return migrateUnlocked(db, migrations, upTo);
}

async function migrateUnlocked(db: SqlDatabase, migrations: readonly ServerMigration[], upTo: number): Promise<number> {
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
  const { rows } = await db.query<{ version: number; checksum: string }>('SELECT version, checksum FROM schema_migrations ORDER BY version');
  const latestKnown = migrations[migrations.length - 1]?.version ?? 0;
  const latestApplied = rows[rows.length - 1]?.version ?? 0;
  if (latestApplied > latestKnown) throw new ServerSchemaTooNewError(latestApplied, latestKnown);
  for (const row of rows) {
    const m = migrations.find((x) => x.version === row.version);
    if (!m || checksum(m) !== row.checksum) throw new Error(`server migration ${row.version} was changed after it was applied`);
  }
  for (const m of migrations) {
    if (m.version <= latestApplied || m.version > upTo) continue;
    await db.transaction(async (tx) => {
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)', [
        m.version,
        m.name,
        checksum(m),
        Date.now(),
      ]);
    });
  }
  return Math.min(latestKnown, upTo);
}
