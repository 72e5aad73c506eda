/**
 * The workstation core: owns the SQLite cache, the session and the reference data, and implements
 * the contract's handlers. No Electron import: the Electron main process and the web host both
 * start it the same way.
 */
import { join } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { applyEvent, decide } from '../../src-shared/domain/case-lifecycle.js';
import { err, ok, type Result } from '../../src-shared/domain/result.js';
import { pdsaAt, DEFAULT_PDSA_RULES, type DepartmentPdsaRules } from '../../src-shared/domain/pdsa-calendar.js';
import type { Session } from '../../src-shared/contract/methods.js';
import type { EventName, EventPayload } from '../../src-shared/contract/events.js';
import type { RegulationCase, ScreeningFields } from '../../src-shared/schemas/case.js';
import { summaryOf } from '../../src-shared/domain/case-summary.js';
import type { CaseCommand } from '../../src-shared/schemas/case-events.js';
import { canonicalPhone } from '../../src-shared/text/phone.js';
import { CaseStore } from './store/case-store.js';
import { openDatabase, schemaVersion, type Db } from './store/database.js';
import { CommuneDirectory } from './reference/communes.js';
import { createRegistry, type Handlers, type Registry, type RegistryOptions } from './registry.js';

export const APP_VERSION = '0.1.0';

export interface CoreOptions {
  /** Folder holding the cache (permanence.sqlite). */
  dataDir: string;
  now?: () => number;
  /** PDSA rules per department (Saturday start, bridge days). */
  pdsaRules?: Record<string, DepartmentPdsaRules>;
  registry?: RegistryOptions;
  /** Share one loaded commune directory between cores (tests, benchmarks). */
  communes?: CommuneDirectory;
}

type Listener = <E extends EventName>(event: E, payload: EventPayload<E>) => void;

export class WorkstationCore {
  readonly workstationId: string;
  readonly store: CaseStore;
  readonly registry: Registry;
  private session: Session | null = null;
  private communes: CommuneDirectory | undefined;
  private readonly listeners = new Set<Listener>();
  private readonly now: () => number;

  private constructor(
    private readonly db: Db,
    private readonly options: CoreOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.store = new CaseStore(db);
    this.communes = options.communes;
    let id = this.store.getMeta('workstation_id');
    if (!id) {
      id = uuidv7();
      this.store.setMeta('workstation_id', id);
    }
    this.workstationId = id;
    this.registry = createRegistry(this.handlers(), options.registry);
  }

  static open(options: CoreOptions): WorkstationCore {
    const db = openDatabase(join(options.dataDir, 'permanence.sqlite'));
    return new WorkstationCore(db, options);
  }

  close(): void {
    this.listeners.clear();
    this.db.close();
  }

  /** Subscribe to pushed events; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit<E extends EventName>(event: E, payload: EventPayload<E>): void {
    for (const l of this.listeners) l(event, payload);
  }

  private communeDirectory(): CommuneDirectory {
    this.communes ??= CommuneDirectory.load();
    return this.communes;
  }

  /** Canonicalise what users type before it becomes an event (one form per phone number). */
  private normaliseFields(fields: ScreeningFields | undefined): Result<ScreeningFields | undefined> {
    if (!fields) return ok(undefined);
    const next = { ...fields };
    if (next.callbackPhone !== undefined) {
      if (next.callbackPhone === '') delete next.callbackPhone;
      else {
        const phone = canonicalPhone(next.callbackPhone);
        if (!phone) return err('invalid_input', `Numéro de rappel invalide : « ${next.callbackPhone} ».`, { field: 'callbackPhone' });
        next.callbackPhone = phone;
      }
    }
    if (next.location?.inseeCode) {
      const commune = this.communeDirectory().byInseeCode(next.location.inseeCode);
      if (!commune) return err('invalid_input', `Commune inconnue (code INSEE ${next.location.inseeCode}).`, { field: 'location' });
      next.location = { ...next.location, communeName: commune.name, departmentCode: commune.departmentCode };
    }
    if (next.patient?.birthDate && next.patient.birthDate > new Date(this.now()).toISOString().slice(0, 10)) {
      return err('invalid_input', 'La date de naissance est dans le futur.', { field: 'patient.birthDate' });
    }
    return ok(next);
  }

  /** Decide, then append event + projection + outbox in one transaction, then notify. */
  private execute(caseId: string, command: CaseCommand): Result<RegulationCase> {
    if (!this.session) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
    let cmd = command;
    if (cmd.type === 'open' || cmd.type === 'update_fields') {
      const fields = this.normaliseFields(cmd.type === 'open' ? cmd.fields : cmd.changes);
      if (!fields.ok) return fields;
      cmd = cmd.type === 'open' ? { ...cmd, fields: fields.value } : { ...cmd, changes: fields.value ?? {} };
    }
    const state = this.store.getCase(caseId);
    const decided = decide(state, cmd, {
      actor: this.session.actor,
      workstationId: this.workstationId,
      eventId: cmd.type === 'open' ? caseId : uuidv7(),
      caseId,
      now: this.now(),
    });
    if (!decided.ok) return decided;
    const next = applyEvent(state, decided.value);
    this.store.appendLocal(decided.value, next, cmd.type === 'update_fields' ? cmd.baseVersion : null);
    this.emit('case.changed', { summary: summaryOf(next), version: next.version });
    return ok(next);
  }

  private handlers(): Handlers {
    return {
      'system.info': () =>
        ok({
          version: APP_VERSION,
          workstationId: this.workstationId,
          schemaVersion: schemaVersion(this.db),
          casesInCache: this.store.countCases(),
          pendingMutations: this.store.countPendingMutations(),
        }),
      'session.login': ({ displayName, role, department }) => {
        const userId = `${role}:${displayName.toLowerCase().replace(/\s+/g, '.')}`;
        this.session = {
          actor: { userId, displayName, role },
          department,
          workstationId: this.workstationId,
          startedAt: this.now(),
        };
        this.emit('session.changed', { session: this.session });
        return ok(this.session);
      },
      'session.current': () => ok(this.session),
      'session.logout': () => {
        this.session = null;
        this.emit('session.changed', { session: null });
        return ok({});
      },
      'case.open': ({ line, fields }) => this.execute(uuidv7(), { type: 'open', line, fields }),
      'case.command': ({ caseId, command }) => {
        if (command.type === 'open') return err('invalid_input', 'Utilisez case.open pour ouvrir un dossier.');
        return this.execute(caseId, command);
      },
      'case.get': ({ caseId }) => {
        const c = this.store.getCase(caseId);
        return c ? ok(c) : err('not_found', 'Dossier introuvable.');
      },
      'case.history': ({ caseId }) => {
        if (!this.store.getCase(caseId)) return err('not_found', 'Dossier introuvable.');
        return ok(this.store.history(caseId));
      },
      'case.recent': ({ limit, statuses }) => ok(this.store.recent(limit, statuses)),
      'case.search': ({ phone, name, limit }) => {
        if (phone) {
          const canonical = canonicalPhone(phone);
          if (!canonical) return err('invalid_input', `Numéro invalide : « ${phone} ».`);
          return ok(this.store.findByPhone(canonical, limit));
        }
        return ok(this.store.findByNamePrefix(name ?? '', limit));
      },
      'queue.list': ({ track, limit }) => ok(this.store.queue(limit, track)),
      'directory.searchCommunes': ({ query, department, limit }) =>
        ok(this.communeDirectory().search(query, limit, department)),
      'directory.departments': () => ok(this.communeDirectory().departments),
      'calendar.pdsaAt': ({ department, at }) =>
        ok(pdsaAt(at ?? this.now(), department, this.options.pdsaRules?.[department] ?? DEFAULT_PDSA_RULES)),
    };
  }
}
