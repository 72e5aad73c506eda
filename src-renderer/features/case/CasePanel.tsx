import { forwardRef, useCallback, useContext, useEffect, useImperativeHandle, useRef, useState } from 'react';
import {
  CALLER_RELATIONSHIP_LABELS,
  LINES,
  PRIORITIES,
  REASON_CODES,
  REASONS,
  SEXES,
  CALLER_RELATIONSHIPS,
} from '../../../src-shared/domain/codes';
import type { RegulationCase, ScreeningFields } from '../../../src-shared/schemas/case';
import { displayPhone } from '../../../src-shared/text/phone';
import { AppStoreContext, useApp } from '../../app/context';
import { LINE_LABELS, PRIORITY_LABELS, SEX_LABELS, STATUS_LABELS } from '../../ui/labels';
import { CommuneField } from './CommuneField';
import { communeLabel } from '../../../src-shared/domain/commune-label';
import { BirthDateField } from './BirthDateField';
import { CodeSelect } from '../../ui/CodeSelect';
import { PrioritySuggestion, RepeatCallers, useRepeats } from './RepeatCallers';
import { RegulationSection } from './RegulationSection';
import { Timeline } from './Timeline';
import { CaseCalls } from './CaseCalls';
import { CaseRecordings } from './CaseRecordings';
import { HubCasePanel } from '../hubsante/HubCasePanel';
import { CaseAccesses } from '../audit/CaseAccesses';
import { TreatingDoctorField } from './TreatingDoctorField';
import { checkScreeningFields, isoToday, TEXT_LIMITS, type FieldPath } from '../../../src-shared/domain/screening-check';
import { TextCounter } from '../../ui/TextCounter';
import { useTextDraft } from './use-text-draft';

export interface CasePanelHandle {
  save(): void;
  sendToRegulation(): void;
  take(): void;
  /** Close the case keeping what was typed (committed, or kept as a draft when it cannot be). */
  close(): Promise<void>;
}

type Draft = ScreeningFields;
const NO_EFFECTORS: never[] = [];

function draftOf(c: RegulationCase): Draft {
  const f = structuredClone(c.fields);
  if (f.callbackPhone) f.callbackPhone = displayPhone(f.callbackPhone);
  return f;
}

/** The fields that differ from the case as stored (no field sent twice). */
function changedFields(c: RegulationCase, draft: Draft): Draft {
  const stored = draftOf(c) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(draft)) {
    if (comparable(k, v) !== comparable(k, stored[k])) out[k] = v;
  }
  return out as Draft;
}

/**
 * What the user can change of a field. The core derives a location's department and PDSA sector
 * from its commune: they are not typed, so they never make the location "changed" (otherwise every
 * commit would send the location again, against an older version: a false conflict).
 */
function comparable(key: string, value: unknown): string {
  if (key === 'location' && value && typeof value === 'object') {
    const { departmentCode: _d, sectorId: _s, ...typed } = value as Record<string, unknown>;
    return JSON.stringify(Object.keys(typed).sort().map((k) => [k, typed[k]]));
  }
  return JSON.stringify(value);
}

const clean = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== '' && v !== undefined && v !== null)) as T;

/** Said while some fields are marked in red: the others are recorded, these are not. */
const PARTLY_SAVED = 'Enregistré, sauf les champs signalés en rouge';

/** Draft saved locally at most this long after a keystroke (crash safety). */
const DRAFT_SAVE_MS = 400;
/** Fields committed as an event after this long without typing (or on leaving a section). */
const COMMIT_IDLE_MS = 2500;

export const CasePanel = forwardRef<CasePanelHandle>(function CasePanel(_props, ref) {
  const current = useApp((s) => s.current);
  const history = useApp((s) => s.currentHistory);
  const session = useApp((s) => s.session);
  const bridge = useApp((s) => s.bridge);
  const storeApi = useContext(AppStoreContext)!;
  const saveFields = useApp((s) => s.saveFields);
  const command = useApp((s) => s.command);
  const selectCase = useApp((s) => s.selectCase);
  const notice = useApp((s) => s.notice);
  const syncEnabled = useApp((s) => s.sync?.enabled ?? false);
  const directoryEffectors = useApp((s) => s.directory?.effectors);
  const [draft, setDraftState] = useState<Draft>({});
  const [saveState, setSaveState] = useState<string | null>(null);
  const [restored, setRestored] = useState<string | null>(null);
  /** Invalid fields: left out of what is recorded, kept in the form, each marked on the field. */
  const [problems, setProblems] = useState<Record<FieldPath, string>>({});
  /** The last commit left fields marked in red (read by the draft save, which must not hide it). */
  const hasProblems = useRef(false);
  const [cancelling, setCancelling] = useState(false);
  const base = useRef<RegulationCase | null>(null);
  const draftRef = useRef<Draft>({});
  const draftTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const commitTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const committing = useRef<Promise<boolean> | null>(null);
  const setDraft = (update: (d: Draft) => Draft) =>
    setDraftState((d) => {
      const next = update(d);
      draftRef.current = next;
      return next;
    });

  /**
   * Rebase the form on the latest state of the open case (our commit, or a colleague's change),
   * keeping what is being typed. Called by the effect below and, synchronously, by a commit that
   * follows another one before React re-rendered (it must not resend the first one's fields
   * against the old version: that is a conflict).
   */
  const rebaseDraft = (latest: RegulationCase) => {
    const prev = base.current;
    if (!prev || prev.id !== latest.id || prev === latest) return;
    base.current = latest;
    setDraft((d) => ({ ...draftOf(latest), ...changedFields(prev, d) }));
    draftRef.current = { ...draftOf(latest), ...changedFields(prev, draftRef.current) };
  };

  useEffect(() => {
    if (!current) {
      base.current = null;
      return;
    }
    if (base.current && base.current.id === current.id) {
      rebaseDraft(current);
      return;
    }
    // Another case replaces this one: what was typed and not committed stays as its draft.
    const previous = base.current;
    if (previous) keepAsDraft(previous, draftRef.current);
    base.current = current;
    setDraft(() => draftOf(current));
    setRestored(null);
    setSaveState(null);
    setProblems({});
    hasProblems.current = false;
    setCancelling(false);
    // Another case: bring back what was typed and not committed (a crash, a closed window).
    void bridge.invoke('draft.get', { caseId: current.id }).then((r) => {
      if (!r.ok || !r.value || base.current?.id !== current.id) return;
      const saved = r.value;
      setDraft((d) => ({ ...d, ...saved.fields }));
      setRestored(`Saisie non enregistrée restaurée (tapée à ${new Date(saved.savedAt).toLocaleTimeString('fr-FR')}).`);
      scheduleCommit();
    });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [current]);

  const commit = useCallback(async (): Promise<boolean> => {
    clearTimeout(commitTimer.current);
    // Several commits may wait for the one in flight (a section left, Alt+S, Alt+E): each waits
    // until none is running, so that the next computes its changes on the state it produced.
    while (committing.current) await committing.current;
    const latest = storeApi.getState().current;
    if (latest) rebaseDraft(latest);
    const c = base.current;
    if (!c || !['new_call', 'screening', 'waiting_regulation', 'under_regulation'].includes(c.status)) return true;
    // Every valid field is recorded; an invalid one stays in the form, marked, and is not sent.
    const check = checkScreeningFields(changedFields(c, draftRef.current), isoToday());
    setProblems(check.problems);
    const allValid = Object.keys(check.problems).length === 0;
    hasProblems.current = !allValid;
    const changes = changedFields(c, check.valid);
    if (Object.keys(changes).length === 0) {
      if (!allValid) setSaveState(PARTLY_SAVED);
      return allValid;
    }
    setSaveState('Enregistrement…');
    committing.current = saveFields({ type: 'update_fields', baseVersion: c.version, changes });
    const ok = await committing.current;
    committing.current = null;
    setSaveState(
      !ok ? 'Non enregistré : voir le message' : allValid ? `Enregistré à ${new Date().toLocaleTimeString('fr-FR')}` : PARTLY_SAVED,
    );
    return ok && allValid;
  }, [saveFields, storeApi]);

  /** What was typed in a case and not committed is saved on the workstation, restored when it is opened again. */
  const keepAsDraft = (c: RegulationCase, d: Draft) => {
    clearTimeout(draftTimer.current);
    draftTimer.current = undefined;
    const changes = changedFields(c, d);
    if (Object.keys(changes).length > 0) void bridge.invoke('draft.save', { caseId: c.id, baseVersion: c.version, fields: changes });
  };

  const scheduleCommit = () => {
    clearTimeout(commitTimer.current);
    commitTimer.current = setTimeout(() => void commit(), COMMIT_IDLE_MS);
  };

  // Every change: saved locally within DRAFT_SAVE_MS (even while typing non-stop), committed
  // as an event once the typing pauses.
  const onDraftChanged = () => {
    if (!draftTimer.current) {
      draftTimer.current = setTimeout(() => {
        draftTimer.current = undefined;
        const c = base.current;
        if (!c) return;
        const changes = changedFields(c, draftRef.current);
        if (Object.keys(changes).length === 0) return;
        void bridge.invoke('draft.save', { caseId: c.id, baseVersion: c.version, fields: changes }).then((r) => {
          // Fields marked in red keep their message: the draft of them does not hide that they are not recorded.
          if (!r.ok) setSaveState(`Brouillon non sauvegardé : ${r.error.message}`);
          else if (!hasProblems.current) setSaveState('Brouillon sauvegardé sur ce poste');
        });
      }, DRAFT_SAVE_MS);
    }
    scheduleCommit();
  };

  // Leaving the case (another case, logout) commits what is pending.
  useEffect(
    () => () => {
      clearTimeout(commitTimer.current);
    },
    [],
  );

  const sendToRegulation = async () => {
    if (await commit()) await command({ type: 'send_to_regulation' });
    else if (hasProblems.current) setSaveState('Corrigez les champs signalés en rouge avant l’envoi.');
  };
  const close = async () => {
    const c = base.current;
    if (c) {
      // Kept first (a draft survives whatever happens next), then committed if it can be.
      keepAsDraft(c, draftRef.current);
      await commit();
    }
    storeApi.getState().closeCase();
  };
  const isPhysician = session?.actor.role === 'physician';
  const take = () => {
    if (current && isPhysician && current.status === 'waiting_regulation') void command({ type: 'take' });
  };
  useImperativeHandle(ref, () => ({ save: () => void commit(), sendToRegulation: () => void sendToRegulation(), take, close }));
  const repeats = useRepeats(current, draft);

  if (!current) {
    return (
      <section className="panel case empty-case" aria-label="Dossier">
        <h2>Aucun dossier ouvert</h2>
        <p className="muted">
          {session?.actor.role === 'arm' || session?.actor.role === 'physician' ? (
            <>
              <kbd>Alt</kbd>+<kbd>N</kbd> pour ouvrir un nouveau dossier, ou choisissez un dossier dans la file.
            </>
          ) : (
            'Choisissez un dossier dans la file ou les dossiers récents pour le consulter.'
          )}
        </p>
      </section>
    );
  }

  const editable = ['new_call', 'screening', 'waiting_regulation', 'under_regulation'].includes(current.status);
  const role = session?.actor.role;
  // A case opened by mistake (a stray Alt+N, a wrong number) is cancelled with a reason, never left as "Patient non identifié".
  const canCancel =
    (role === 'arm' || role === 'supervisor' || role === 'physician') &&
    ['new_call', 'screening', 'waiting_regulation'].includes(current.status) &&
    (role !== 'physician' || current.status !== 'waiting_regulation' || !current.takenBy);
  const invalidProps = (path: FieldPath) => (problems[path] ? { 'aria-invalid': true as const, 'aria-describedby': `problem-${path}` } : {});
  const fieldProblem = (path: FieldPath) =>
    problems[path] ? (
      <span id={`problem-${path}`} className="field-error small">
        {problems[path]}
      </span>
    ) : null;
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setDraft((d) => ({ ...d, [key]: value }));
    onDraftChanged();
  };
  const patient = draft.patient ?? {};
  const location = draft.location ?? {};
  const effectors = directoryEffectors ?? NO_EFFECTORS;

  return (
    <section className="panel case" aria-label={`Dossier ${current.reference}`}>
      <header className="case-header">
        <h2>
          Dossier <span className="mono">{current.reference}</span>
        </h2>
        <span className={`status status-${current.status}`}>{STATUS_LABELS[current.status]}</span>
        {current.takenBy ? (
          <span className="taken-by" role="status">
            Régulé par {current.takenBy.displayName}
          </span>
        ) : null}
        {isPhysician && current.status === 'waiting_regulation' ? (
          <button type="button" className="primary" onClick={take}>
            Prendre en charge <kbd>Alt+P</kbd>
          </button>
        ) : null}
        {isPhysician && current.status === 'under_regulation' && current.takenBy?.userId === session?.actor.userId ? (
          <button type="button" onClick={() => void command({ type: 'release' })}>
            Remettre dans la file
          </button>
        ) : null}
      </header>
      {notice ? (
        <p className="notice" role="status">
          {notice}
        </p>
      ) : null}
      {restored ? (
        <p className="notice notice-restored" role="status">
          {restored}
        </p>
      ) : null}
      <HubCasePanel current={current} />
      <CaseCalls current={current} />
      {session?.mode === 'server' ? <CaseRecordings key={`recordings-${current.id}`} caseId={current.id} calls={current.calls?.length ?? 0} /> : null}
      <RepeatCallers
        current={current}
        repeats={repeats}
        editable={current.status !== 'closed' && current.status !== 'cancelled' && current.status !== 'transferred_samu'}
        onLink={(linkedCaseId) => void command({ type: 'link_case', linkedCaseId })}
        onOpen={(id) => void commit().then(() => selectCase(id))}
        onTakeIdentity={(id) =>
          void bridge.invoke('case.get', { caseId: id }).then((r) => {
            if (!r.ok) return;
            const prev = r.value.fields;
            setDraft((d) => ({
              ...d,
              patient: { ...prev.patient, ...clean(d.patient ?? {}) },
              ...(d.location?.inseeCode || !prev.location ? {} : { location: { ...prev.location, ...clean(d.location ?? {}) } }),
              ...(d.caller || !prev.caller ? {} : { caller: prev.caller }),
            }));
            onDraftChanged();
          })
        }
      />
      <form
        key={current.id}
        className="case-form"
        onSubmit={(e) => {
          e.preventDefault();
          void commit();
        }}
        onBlur={(e) => {
          // Leaving a section commits it; moving inside it does not.
          const from = (e.target as HTMLElement).closest('fieldset');
          const to = e.relatedTarget instanceof HTMLElement ? e.relatedTarget.closest('fieldset') : null;
          if (from && from !== to) void commit();
        }}
      >
        <fieldset disabled={!editable}>
          <legend>Appel</legend>
          <div className="row">
            <CodeSelect label="Ligne" value={draft.line ?? '116117'} codes={LINES} labels={LINE_LABELS} onChange={(line) => set('line', line)} />
            <label>
              Numéro de rappel
              <input
                name="callbackPhone"
                inputMode="tel"
                maxLength={30}
                value={draft.callbackPhone ?? ''}
                onChange={(e) => set('callbackPhone', e.target.value)}
                autoFocus
                {...invalidProps('callbackPhone')}
              />
              {fieldProblem('callbackPhone')}
            </label>
            <CodeSelect
              label="Appelant"
              value={draft.caller?.relationship ?? 'self'}
              codes={CALLER_RELATIONSHIPS}
              labels={CALLER_RELATIONSHIP_LABELS}
              onChange={(relationship) => set('caller', { ...draft.caller, relationship: relationship ?? 'self' })}
            />
          </div>
        </fieldset>
        <fieldset disabled={!editable}>
          <legend>Patient</legend>
          <div className="row">
            <label>
              Nom
              <input
                name="lastName"
                maxLength={TEXT_LIMITS['patient.lastName']}
                value={patient.lastName ?? ''}
                onChange={(e) => set('patient', clean({ ...patient, lastName: e.target.value }))}
                {...invalidProps('patient.lastName')}
              />
              {fieldProblem('patient.lastName')}
            </label>
            <label>
              Prénom
              <input
                name="firstName"
                maxLength={TEXT_LIMITS['patient.firstName']}
                value={patient.firstName ?? ''}
                onChange={(e) => set('patient', clean({ ...patient, firstName: e.target.value }))}
                {...invalidProps('patient.firstName')}
              />
              {fieldProblem('patient.firstName')}
            </label>
            <BirthDateField
              value={patient.birthDate}
              problem={problems['patient.birthDate']}
              onChange={(iso) => set('patient', clean({ ...patient, birthDate: iso }))}
            />
            <CodeSelect label="Sexe" value={patient.sex ?? 'U'} codes={SEXES} labels={SEX_LABELS} onChange={(sex) => set('patient', clean({ ...patient, sex }))} />
          </div>
        </fieldset>
        <fieldset disabled={!editable}>
          <legend>Localisation</legend>
          <div className="row">
            <CommuneField
              value={location}
              department={session?.department}
              onChange={(c) =>
                set(
                  'location',
                  c
                    ? clean({ ...location, inseeCode: c.inseeCode, communeName: communeLabel(c), postalCode: c.postalCode })
                    : clean({ ...location, inseeCode: undefined, communeName: undefined, postalCode: undefined }),
                )
              }
              onUnresolved={(typed) => set('location', clean({ ...location, inseeCode: undefined, communeName: typed, postalCode: undefined }))}
            />
            <label className="grow">
              Adresse
              <input
                maxLength={TEXT_LIMITS['location.address']}
                value={location.address ?? ''}
                onChange={(e) => set('location', clean({ ...location, address: e.target.value }))}
                {...invalidProps('location.address')}
              />
              {fieldProblem('location.address')}
            </label>
          </div>
        </fieldset>
        <fieldset disabled={!editable}>
          <legend>Motif et priorité</legend>
          <div className="row">
            <CodeSelect
              label="Motif d’appel"
              name="reasonCode"
              value={draft.reasonCode}
              codes={REASON_CODES}
              labels={(r) => REASONS[r].label}
              placeholder="— choisir —"
              onChange={(reasonCode) => set('reasonCode', reasonCode)}
            />
            <label className="grow">
              Précisions
              <input
                maxLength={TEXT_LIMITS.reasonText}
                value={draft.reasonText ?? ''}
                onChange={(e) => set('reasonText', e.target.value)}
                {...invalidProps('reasonText')}
              />
              <TextCounter text={draft.reasonText ?? ''} max={TEXT_LIMITS.reasonText} />
              {fieldProblem('reasonText')}
            </label>
          </div>
          <PrioritySuggestion repeats={repeats} chosen={draft.priority} editable={editable} onApply={(p) => set('priority', p)} />
          <div className="priorities" role="radiogroup" aria-label="Priorité">
            {PRIORITIES.map((p) => (
              <label key={p} className={`radio prio-choice choice-${p}`}>
                <input type="radio" name="priority" value={p} checked={draft.priority === p} onChange={() => set('priority', p)} />
                {PRIORITY_LABELS[p]}
              </label>
            ))}
          </div>
        </fieldset>
        {/* After the priority: the ARM's keyboard path through the screening stays as it was. */}
        <fieldset disabled={!editable}>
          <legend>Médecin traitant</legend>
          <div className="row">
            <TreatingDoctorField value={draft.treatingDoctor} effectors={effectors} onChange={(t) => set('treatingDoctor', t)} />
            <label className="checkbox">
              <input type="checkbox" name="reportConsent" checked={draft.reportConsent === true} onChange={(e) => set('reportConsent', e.target.checked)} />
              Accepte que le compte rendu soit adressé à son médecin traitant
            </label>
          </div>
        </fieldset>
        <div className="actions">
          <span className="save-state muted small" role="status" aria-live="polite">
            {saveState}
          </span>
          <button type="submit" disabled={!editable}>
            Enregistrer <kbd>Alt+S</kbd>
          </button>
          <button type="button" className="primary" disabled={!['new_call', 'screening'].includes(current.status)} onClick={() => void sendToRegulation()}>
            Envoyer en régulation <kbd>Alt+E</kbd>
          </button>
        </div>
        {canCancel ? <CancelCase key={current.id} caseId={current.id} open={cancelling} onOpen={setCancelling} onCancel={(reason) => command({ type: 'cancel', reason })} /> : null}
      </form>
      {['waiting_regulation', 'under_regulation', 'decided', 'closed', 'transferred_samu'].includes(current.status) || current.notes.length > 0 ? (
        <RegulationSection key={`regulation-${current.id}`} current={current} mine={current.takenBy?.userId === session?.actor.userId} />
      ) : null}
      <Timeline history={history} synced={syncEnabled} />
      {session?.actor.role === 'supervisor' && session.mode === 'server' ? <CaseAccesses key={`accesses-${current.id}`} caseId={current.id} /> : null}
    </section>
  );
});

/**
 * Cancelling a case opened by mistake: a reason is required (it is recorded in the case's
 * history); the case leaves the queue and the statistics, and can be reopened.
 */
function CancelCase({
  caseId,
  open,
  onOpen,
  onCancel,
}: {
  caseId: string;
  open: boolean;
  onOpen: (open: boolean) => void;
  onCancel: (reason: string) => Promise<boolean>;
}) {
  const reason = useTextDraft(caseId, 'cancelReason');
  const [problem, setProblem] = useState<string | null>(null);
  if (!open) {
    return (
      <div className="actions cancel-case">
        <button type="button" className="link" onClick={() => onOpen(true)}>
          Annuler ce dossier (ouvert par erreur)…
        </button>
      </div>
    );
  }
  return (
    <div className="row cancel-case" role="group" aria-label="Annulation du dossier">
      <label className="grow">
        Motif d’annulation
        <input
          name="cancelReason"
          maxLength={500}
          autoFocus
          value={reason.text}
          onChange={(e) => reason.setText(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter') e.preventDefault();
          }}
          aria-invalid={problem ? true : undefined}
        />
        {problem ? <span className="field-error small">{problem}</span> : null}
      </label>
      <button
        type="button"
        className="danger"
        onClick={async () => {
          if (!reason.text.trim()) return setProblem('Indiquez pourquoi ce dossier est annulé.');
          setProblem(null);
          if (await onCancel(reason.text.trim())) {
            reason.clear();
            onOpen(false);
          }
        }}
      >
        Confirmer l’annulation
      </button>
      <button type="button" onClick={() => onOpen(false)}>
        Garder le dossier
      </button>
    </div>
  );
}
