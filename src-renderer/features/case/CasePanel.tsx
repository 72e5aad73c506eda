import { forwardRef, useEffect, useImperativeHandle, useState } from 'react';
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
import { useApp } from '../../app/context';
import { dateTime, LINE_LABELS, PRIORITY_LABELS, SEX_LABELS, STATUS_LABELS } from '../../ui/labels';
import { CommuneField } from './CommuneField';
import { BirthDateField } from './BirthDateField';
import { CodeSelect } from '../../ui/CodeSelect';

export interface CasePanelHandle {
  save(): void;
  sendToRegulation(): void;
  take(): void;
}

type Draft = ScreeningFields;

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
    if (JSON.stringify(v) !== JSON.stringify(stored[k])) out[k] = v;
  }
  return out as Draft;
}

const clean = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== '' && v !== undefined && v !== null)) as T;

export const CasePanel = forwardRef<CasePanelHandle>(function CasePanel(_props, ref) {
  const current = useApp((s) => s.current);
  const history = useApp((s) => s.currentHistory);
  const session = useApp((s) => s.session);
  const saveFields = useApp((s) => s.saveFields);
  const command = useApp((s) => s.command);
  const notice = useApp((s) => s.notice);
  const [draft, setDraft] = useState<Draft>({});

  useEffect(() => {
    if (current) setDraft(draftOf(current));
  }, [current]);

  const save = async () => {
    if (!current) return false;
    const changes = changedFields(current, draft);
    if (Object.keys(changes).length === 0) return true;
    return saveFields({ type: 'update_fields', baseVersion: current.version, changes });
  };
  const sendToRegulation = async () => {
    if (await save()) await command({ type: 'send_to_regulation' });
  };
  const isPhysician = session?.actor.role === 'physician';
  const take = () => {
    if (current && isPhysician && current.status === 'waiting_regulation') void command({ type: 'take' });
  };
  useImperativeHandle(ref, () => ({ save: () => void save(), sendToRegulation: () => void sendToRegulation(), take }));

  if (!current) {
    return (
      <section className="panel case empty-case" aria-label="Dossier">
        <h2>Aucun dossier ouvert</h2>
        <p className="muted">
          <kbd>Alt</kbd>+<kbd>N</kbd> pour ouvrir un nouveau dossier, ou choisissez un dossier dans la file.
        </p>
      </section>
    );
  }

  const editable = ['new_call', 'screening', 'waiting_regulation', 'under_regulation'].includes(current.status);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => setDraft((d) => ({ ...d, [key]: value }));
  const patient = draft.patient ?? {};
  const location = draft.location ?? {};

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
      <form
        key={current.id}
        className="case-form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
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
                value={draft.callbackPhone ?? ''}
                onChange={(e) => set('callbackPhone', e.target.value)}
                autoFocus
              />
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
              <input name="lastName" value={patient.lastName ?? ''} onChange={(e) => set('patient', clean({ ...patient, lastName: e.target.value }))} />
            </label>
            <label>
              Prénom
              <input name="firstName" value={patient.firstName ?? ''} onChange={(e) => set('patient', clean({ ...patient, firstName: e.target.value }))} />
            </label>
            <BirthDateField value={patient.birthDate} onChange={(iso) => set('patient', clean({ ...patient, birthDate: iso }))} />
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
                    ? clean({ ...location, inseeCode: c.inseeCode, communeName: c.name, postalCode: c.postalCodes[0] })
                    : clean({ ...location, inseeCode: undefined, communeName: undefined, postalCode: undefined }),
                )
              }
            />
            <label className="grow">
              Adresse
              <input value={location.address ?? ''} onChange={(e) => set('location', clean({ ...location, address: e.target.value }))} />
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
              <input value={draft.reasonText ?? ''} onChange={(e) => set('reasonText', e.target.value)} />
            </label>
          </div>
          <div className="priorities" role="radiogroup" aria-label="Priorité">
            {PRIORITIES.map((p) => (
              <label key={p} className={`radio prio-choice choice-${p}`}>
                <input type="radio" name="priority" value={p} checked={draft.priority === p} onChange={() => set('priority', p)} />
                {PRIORITY_LABELS[p]}
              </label>
            ))}
          </div>
        </fieldset>
        <div className="actions">
          <button type="submit" disabled={!editable}>
            Enregistrer <kbd>Alt+S</kbd>
          </button>
          <button type="button" className="primary" disabled={!['new_call', 'screening'].includes(current.status)} onClick={() => void sendToRegulation()}>
            Envoyer en régulation <kbd>Alt+E</kbd>
          </button>
        </div>
      </form>
      <section className="timeline" aria-label="Historique du dossier">
        <h3>Historique</h3>
        <ol>
          {history.map((e) => (
            <li key={e.id}>
              <span className="mono">{dateTime(e.clientTime)}</span> — <strong>{e.actor.displayName}</strong> : {eventLabel(e.kind)}
              {e.syncStatus === 'rejected' ? (
                <span className="error small"> (refusé par le serveur)</span>
              ) : e.syncStatus === 'pending' ? (
                <span className="muted small"> (non synchronisé)</span>
              ) : null}
            </li>
          ))}
        </ol>
      </section>
    </section>
  );
});

const EVENT_LABELS: Record<string, string> = {
  'case.opened': 'ouverture du dossier',
  'case.fields_updated': 'mise à jour des informations',
  'case.note_added': 'note ajoutée',
  'case.sent_to_regulation': 'envoi en régulation',
  'case.taken': 'prise en charge par le médecin',
  'case.released': 'remis dans la file',
  'case.decided': 'décision médicale',
  'case.closed': 'clôture',
  'case.cancelled': 'annulation',
  'case.transferred_samu': 'transfert au SAMU',
  'case.reopened': 'réouverture',
  'case.linked': 'lien avec un autre dossier',
};
const eventLabel = (kind: string) => EVENT_LABELS[kind] ?? kind;
