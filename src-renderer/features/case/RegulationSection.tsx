/**
 * The physician's part of a case: clinical notes, the decision (codified, with the fields each
 * decision needs), closing, transfer to the SAMU, and reopening (a new event, never an edit).
 */
import { useEffect, useState } from 'react';
import { DECISION_CODES, DECISION_FIELD_LABELS, DECISIONS, type DecisionCode, type DecisionField } from '../../../src-shared/domain/codes';
import type { MethodInput } from '../../../src-shared/contract/methods';
import type { CaseSummary, Decision, RegulationCase } from '../../../src-shared/schemas/case';
import { useApp } from '../../app/context';
import { CodeSelect } from '../../ui/CodeSelect';
import { dateTime, dateTimeToMinute, reasonLabel, STATUS_LABELS, writtenDateTime } from '../../ui/labels';
import { useNow } from '../../ui/use-now';
import { mmgsNear, onCallAt, pharmaciesAt } from '../../../src-shared/domain/duty';
import { ON_CALL_MODE_LABELS } from '../../../src-shared/schemas/directory';
import { AGENT_STATE_LABELS } from '../../../src-shared/domain/agent-state';
import { displayPhone } from '../../../src-shared/text/phone';
import { EffectorPanel } from './EffectorPanel';
import { sasSearchUrl } from '../../../src-shared/domain/sas-search';
import { patientDisplayName } from '../../../src-shared/domain/case-summary';
import { searchKey } from '../../../src-shared/text/normalize';
import { useTextDraft } from './use-text-draft';
import { TextCounter } from '../../ui/TextCounter';
import { DateTimeField } from '../../ui/DateFields';

/** The schema's limits (add_note: 4,000 characters; a reason: 500), shown on the fields. */
const NOTE_MAX = 4000;
const REASON_MAX = 500;

type CaseCommandInput = MethodInput<'case.command'>['command'];

/** Every earlier case of this patient (same number, or name + birth date), all dates. */
function PatientHistory({ current }: { current: RegulationCase }) {
  const bridge = useApp((s) => s.bridge);
  const selectCase = useApp((s) => s.selectCase);
  const [cases, setCases] = useState<CaseSummary[]>([]);
  useEffect(() => {
    let stale = false;
    void bridge.invoke('case.patientHistory', { caseId: current.id }).then((r) => {
      if (!stale && r.ok) setCases(r.value);
    });
    return () => {
      stale = true;
    };
  }, [bridge, current.id, current.version]);
  // The same number is not always the same person (a family, a care home): say which is which.
  const me = patientDisplayName(current);
  const samePerson = (c: CaseSummary) => me !== null && c.patientName !== null && searchKey(c.patientName) === searchKey(me);
  return (
    <section className="patient-history" aria-label="Dossiers antérieurs (même numéro ou même patient)">
      <h4>
        Dossiers antérieurs — même numéro ou même patient <span className="count">{cases.length}</span>
      </h4>
      {cases.length === 0 ? (
        <p className="muted small">Aucun dossier antérieur (même numéro ou même patient).</p>
      ) : (
        <ul>
          {cases.map((c) => (
            <li key={c.id}>
              <button type="button" className="link" onClick={() => void selectCase(c.id)}>
                {dateTime(c.openedAt)} — {c.patientName ?? 'patient non identifié'} — {reasonLabel(c.reasonCode)} —{' '}
                {c.decisionCode ? DECISIONS[c.decisionCode].label : STATUS_LABELS[c.status]}
              </button>{' '}
              <span className="small muted">{samePerson(c) ? 'même patient' : 'même numéro, autre personne ou non identifiée'}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

export function RegulationSection({ current, mine }: { current: RegulationCase; mine: boolean }) {
  const command = useApp((s) => s.command);
  const role = useApp((s) => s.session?.actor.role);
  const [code, setCode] = useState<DecisionCode | undefined>(current.decision?.code);
  const [fields, setFields] = useState<Partial<Record<DecisionField | 'comment', string>>>({});
  // Kept on the workstation while typed: Escape, another case or a crash lose nothing.
  const note = useTextDraft(current.id, 'note');
  // Two reasons, two fields: a transfer's reason must not reappear as the reason to reopen.
  const transferReason = useTextDraft(current.id, 'transferReason');
  const reopenReason = useTextDraft(current.id, 'reopenReason');
  const [problem, setProblem] = useState<string | null>(null);
  const now = useNow(60_000);
  const directory = useApp((s) => s.directory);
  const hub = useApp((s) => s.hub);
  const agents = useApp((s) => s.agents);
  const me = useApp((s) => s.session?.actor.userId);
  // Colleagues on duty now (their workstations publish their state).
  const colleagues = agents.filter((a) => a.role === 'physician' && a.state !== 'offline' && a.userId !== me);
  const [handTo, setHandTo] = useState('');
  const sector = current.fields.location?.sectorId;
  const insee = current.fields.location?.inseeCode;
  const onCall = directory ? onCallAt(directory, now, sector) : [];
  const pharmacies = directory ? pharmaciesAt(directory, now, insee) : [];
  const mmgs = directory ? mmgsNear(directory, insee) : [];
  const physician = role === 'physician';
  // A closed, cancelled or transferred case is a record: no note form, no effector panel (reopen it to act).
  const open = !['closed', 'cancelled', 'transferred_samu'].includes(current.status);
  const run = async (c: CaseCommandInput) => {
    setProblem(null);
    return command(c);
  };

  const decide = async () => {
    if (!code) return setProblem('Choisissez une décision.');
    const required = DECISIONS[code].requires as readonly DecisionField[];
    const missing = required.filter((f) => !fields[f]?.trim());
    if (missing.length) return setProblem(`À renseigner pour cette décision : ${missing.map((f) => DECISION_FIELD_LABELS[f]).join(', ')}.`);
    const decision: Decision = { code };
    for (const f of required) {
      if (f === 'appointmentAt') {
        const at = new Date(fields.appointmentAt!).getTime();
        if (!Number.isFinite(at)) return setProblem('Date et heure du rendez-vous invalides (JJ/MM/AAAA HH:MM).');
        if (at < Date.now() - 3600_000) return setProblem('Le rendez-vous est passé depuis plus d’une heure : vérifiez le jour et l’heure.');
        decision.appointmentAt = at;
      } else decision[f] = fields[f]!.trim();
    }
    if (fields.comment?.trim()) decision.comment = fields.comment.trim();
    await run({ type: 'decide', decision });
  };

  const canDecide = physician && mine && current.status === 'under_regulation';
  const required = code ? (DECISIONS[code].requires as readonly DecisionField[]) : [];

  return (
    <section className="regulation" aria-label="Régulation médicale">
      <h3>Régulation médicale</h3>
      <PatientHistory current={current} />
      {directory && directory.version > 0 ? (
        <p className="on-duty small" aria-label="De garde maintenant">
          De garde maintenant{sector ? ` (secteur ${sector})` : ''} :{' '}
          {onCall.length
            ? onCall
                .filter((o, i) => o.inSector || i < 2)
                .map(({ doctor }) => `${doctor.doctorName} ${displayPhone(doctor.phone)} (${ON_CALL_MODE_LABELS[doctor.mode]})`)
                .join(' · ')
            : 'aucun médecin inscrit au tableau pour cette heure'}
          {pharmacies[0] ? ` — pharmacie : ${pharmacies[0].name} ${displayPhone(pharmacies[0].phone)}` : ''}
        </p>
      ) : null}
      {current.notes.length > 0 ? (
        <ul className="notes" aria-label="Notes cliniques">
          {current.notes.map((n) => (
            <li key={n.eventId}>
              <span className="mono small">{dateTime(n.at)}</span> <strong>{n.author}</strong> : {n.text}
            </li>
          ))}
        </ul>
      ) : null}
      {open ? (
      <form
        className="row note-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (note.text.trim()) void run({ type: 'add_note', text: note.text.trim() }).then((ok) => ok && note.clear());
        }}
      >
        <label className="grow">
          Note clinique
          <textarea name="note" rows={2} maxLength={NOTE_MAX} value={note.text} onChange={(e) => note.setText(e.target.value)} />
          <TextCounter text={note.text} max={NOTE_MAX} />
          {note.restored ? <span className="notice-restored small">Note non envoyée, restaurée : relisez-la puis ajoutez-la.</span> : null}
        </label>
        <button type="submit" disabled={!note.text.trim()}>
          Ajouter la note
        </button>
      </form>
      ) : null}

      {(physician || role === 'supervisor') && open ? <EffectorPanel current={current} canAct={physician && mine && current.status === 'under_regulation'} /> : null}
      {hub?.enabled ? (
        <p className="sas-search">
          <a className="button" href={sasSearchUrl(hub.sasSearch, current)} target="_blank" rel="noopener noreferrer">
            Chercher un créneau sur la plateforme nationale SAS
          </a>{' '}
          <span className="muted small">(avec le médecin traitant, la commune et l’adresse du dossier)</span>
        </p>
      ) : null}

      {current.decision ? (
        <p className="decision-made" role="status">
          Décision : <strong>{DECISIONS[current.decision.code].label}</strong>
          {current.decision.pharmacy ? ` — ${current.decision.pharmacy}` : ''}
          {current.decision.effector ? ` — ${current.decision.effector}` : ''}
          {current.decision.appointmentAt ? (
            <>
              {' — RDV '}
              <span className="nowrap">{writtenDateTime(current.decision.appointmentAt)}</span>
            </>
          ) : null}
          {current.decision.place ? ` — ${current.decision.place}` : ''}
          {current.decision.destination ? ` — ${current.decision.destination}` : ''}
          {current.decidedBy ? ` (${current.decidedBy.displayName}, ${dateTimeToMinute(current.decidedAt!)})` : ''}
        </p>
      ) : null}

      {canDecide ? (
        <form
          className="decision-form"
          onSubmit={(e) => {
            e.preventDefault();
            void decide();
          }}
        >
          <div className="row">
            <CodeSelect label="Décision" name="decision" value={code} codes={DECISION_CODES} labels={(c) => DECISIONS[c].label} placeholder="— choisir —" onChange={setCode} />
            {required.map((f) =>
              f === 'appointmentAt' ? (
                <DateTimeField key={f} label={DECISION_FIELD_LABELS[f]} name={f} value={fields[f] ?? ''} onChange={(v) => setFields((x) => ({ ...x, [f]: v }))} />
              ) : (
                <label key={f} className="grow">
                  {DECISION_FIELD_LABELS[f]}
                  <input
                    name={f}
                    list={f === 'effector' || f === 'pharmacy' ? `choices-${f}` : undefined}
                    value={fields[f] ?? ''}
                    onChange={(e) => setFields((x) => ({ ...x, [f]: e.target.value }))}
                  />
                </label>
              ),
            )}
          </div>
          <datalist id="choices-effector">
            {onCall.map(({ doctor }) => (
              <option key={`${doctor.sectorCode}-${doctor.doctorName}-${doctor.start}`} value={`${doctor.doctorName} (garde ${doctor.sectorCode}, ${displayPhone(doctor.phone)})`} />
            ))}
            {code === 'CONSULTATION'
              ? mmgs.map((m) => <option key={m.name} value={`${m.name} (${displayPhone(m.phone)})`} />)
              : null}
          </datalist>
          <datalist id="choices-pharmacy">
            {pharmacies.map((p) => (
              <option key={p.name} value={`${p.name}, ${p.address} (${displayPhone(p.phone)})`} />
            ))}
          </datalist>
          <label>
            Commentaire
            <input name="comment" value={fields.comment ?? ''} onChange={(e) => setFields((x) => ({ ...x, comment: e.target.value }))} />
          </label>
          {problem ? (
            <p className="error small" role="alert">
              {problem}
            </p>
          ) : null}
          <div className="actions">
            <button type="submit" className="primary">
              Enregistrer la décision
            </button>
          </div>
        </form>
      ) : null}

      {physician && mine && current.status === 'under_regulation' && colleagues.length ? (
        <form
          className="row hand-over"
          onSubmit={(e) => {
            e.preventDefault();
            const to = colleagues.find((a) => a.userId === handTo);
            if (to) void run({ type: 'hand_over', to: { userId: to.userId, displayName: to.displayName, role: 'physician' } });
          }}
        >
          <label>
            Confier à un confrère
            <select name="handTo" value={handTo} onChange={(e) => setHandTo(e.target.value)}>
              <option value="">— choisir —</option>
              {colleagues.map((a) => (
                <option key={a.userId} value={a.userId}>
                  {a.displayName} ({AGENT_STATE_LABELS[a.state].toLowerCase()})
                </option>
              ))}
            </select>
          </label>
          <button type="submit" disabled={!handTo}>
            Confier le dossier
          </button>
        </form>
      ) : null}
      <div className="actions">
        {physician && current.status === 'decided' ? (
          <button type="button" className="primary" onClick={() => void run({ type: 'close' })}>
            Clôturer le dossier
          </button>
        ) : null}
        {physician && ['waiting_regulation', 'under_regulation'].includes(current.status) ? (
          <>
            <label className="grow">
              Motif du transfert au SAMU
              <input name="transferReason" maxLength={REASON_MAX} value={transferReason.text} onChange={(e) => transferReason.setText(e.target.value)} />
            </label>
            <button
              type="button"
              onClick={async () => {
                if (!transferReason.text.trim()) return setProblem('Indiquez le motif du transfert.');
                if (await run({ type: 'transfer_samu', reason: transferReason.text.trim() })) transferReason.clear();
              }}
            >
              Transférer au SAMU
            </button>
          </>
        ) : null}
        {physician && ['closed', 'cancelled', 'transferred_samu'].includes(current.status) ? (
          <>
            <label className="grow">
              Motif de réouverture
              <input name="reopenReason" maxLength={REASON_MAX} value={reopenReason.text} onChange={(e) => reopenReason.setText(e.target.value)} />
            </label>
            <button
              type="button"
              onClick={async () => {
                if (!reopenReason.text.trim()) return setProblem('Indiquez le motif de réouverture.');
                if (await run({ type: 'reopen', reason: reopenReason.text.trim() })) reopenReason.clear();
              }}
            >
              Rouvrir le dossier
            </button>
          </>
        ) : null}
      </div>
      {problem && !canDecide ? (
        <p className="error small" role="alert">
          {problem}
        </p>
      ) : null}
    </section>
  );
}
