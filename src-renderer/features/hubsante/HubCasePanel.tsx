/**
 * A case as exchanged with the SAMU over the Hub Santé: who holds it (the Hub's owner) and where a
 * hand-over stands, every message with its delivery steps (sent, received by the Hub, received and
 * integrated by the SAMU, refused, error, no acknowledgement in time), accepting or refusing a case
 * the SAMU handed to us, and the messages verbatim (what the SAMU sent that we do not model).
 */
import { useState } from 'react';
import type { HubCaseMessage, RegulationCase } from '../../../src-shared/schemas/case';
import type { HubJournalEntry } from '../../../src-shared/schemas/hubsante';
import { useApp } from '../../app/context';
import { dateTime, timeOfDay } from '../../ui/labels';
import { FIELD_LABELS } from '../case/field-values';

const HAND_OVER_LABELS = {
  to_us_pending: 'Confié par le SAMU : en attente de votre réponse',
  to_us_accepted: 'Prise en charge acceptée par la régulation libérale',
  to_us_refused: 'Prise en charge refusée : dossier rendu au SAMU',
  to_peer_pending: 'Transféré au SAMU : en attente de sa prise en charge',
  to_peer_accepted: 'Pris en charge par le SAMU',
  to_peer_refused: 'Transfert refusé par le SAMU : dossier revenu en régulation libérale',
} as const;

/** The steps of one message we sent, in order, as the Hub and the SAMU confirmed them. */
const STEPS = [
  ['published', 'Reçu par le Hub'],
  ['received', 'Reçu par le SAMU'],
  ['integrated', 'Intégré par le SAMU'],
] as const;

function DeliverySteps({ m }: { m: HubCaseMessage }) {
  const steps = m.steps ?? {};
  const failed = m.state === 'refused' || m.state === 'error';
  return (
    <ol className="delivery-steps" aria-label={`Acheminement : ${m.label}`}>
      <li className="done">
        Mis en file d’envoi <span className="mono small">{timeOfDay(m.at)}</span>
      </li>
      {STEPS.map(([state, label]) => {
        // An integration acknowledges the reception too.
        const at = steps[state] ?? (state === 'received' ? steps.integrated : undefined);
        return (
          <li key={state} className={at !== undefined ? 'done' : 'todo'}>
            {label} {at !== undefined ? <span className="mono small">{timeOfDay(at)}</span> : null}
          </li>
        );
      })}
      {failed ? (
        <li className="failed" role="alert">
          {m.state === 'refused' ? 'Refusé par le SAMU' : 'Erreur'}
          {m.error ? ` ${m.error.code} : ${m.error.cause}` : ''}
        </li>
      ) : null}
      {m.overdue && m.state !== 'integrated' && !failed ? (
        <li className="failed" role="alert">
          Pas d’accusé de réception du SAMU dans le délai : appelez-le
        </li>
      ) : null}
    </ol>
  );
}

export function HubCasePanel({ current }: { current: RegulationCase }) {
  const bridge = useApp((s) => s.bridge);
  const command = useApp((s) => s.command);
  const role = useApp((s) => s.session?.actor.role);
  const [reason, setReason] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [journal, setJournal] = useState<HubJournalEntry[] | null>(null);
  const link = useApp((s) => s.hub);
  const hub = current.hub;
  if (!hub) return null;
  // Something of this case waits to leave while the center's link to the Hub is down: say it plainly.
  const stuck = link?.enabled && link.status.state !== 'connected' && hub.messages.some((m) => m.direction === 'out' && (m.state === undefined || m.state === 'pending'));
  const peer = hub.peerName ?? hub.peer;
  const canAnswer = hub.handOver === 'to_us_pending' && (role === 'arm' || role === 'physician');
  const showMessages = async () => {
    const r = await bridge.invoke('hub.caseMessages', { caseId: current.id });
    if (r.ok) setJournal(r.value);
    else setProblem(r.error.message);
  };
  return (
    <section className="hub-case" aria-label="Hub Santé">
      <h3>
        Hub Santé — {peer}
        {hub.handOver ? <span className={`hub-state hub-${hub.handOver}`}> {HAND_OVER_LABELS[hub.handOver]}</span> : null}
      </h3>
      <p className="muted small">
        Dossier partagé <span className="mono">{hub.caseId}</span> — créé par {hub.createdBy === 'us' ? 'notre centre' : peer}, responsable :{' '}
        {hub.owner === hub.peer ? peer : 'notre centre'}
      </p>
      {stuck ? (
        <p className="error" role="alert">
          Liaison Hub Santé coupée : le message partira dès son rétablissement, rien n’est perdu. En cas d’urgence, appelez le SAMU.
        </p>
      ) : null}
      {canAnswer ? (
        <form
          className="row hand-over-answer"
          onSubmit={(e) => {
            e.preventDefault();
          }}
        >
          <button type="button" className="primary" onClick={() => void command({ type: 'answer_hand_over', accept: true })}>
            Accepter la prise en charge
          </button>
          <label className="grow">
            Motif du refus
            <input name="handOverReason" value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <button
            type="button"
            onClick={() => (reason.trim() ? void command({ type: 'answer_hand_over', accept: false, reason: reason.trim() }) : setProblem('Indiquez le motif du refus.'))}
          >
            Refuser et rendre au SAMU
          </button>
        </form>
      ) : null}
      <ul className="hub-messages" aria-label="Messages échangés avec le SAMU">
        {hub.messages.map((m) => (
          <li key={`${m.direction}-${m.distributionId}`} className={m.direction === 'in' ? 'hub-in' : 'hub-out'}>
            <span className="mono small">{dateTime(m.at)}</span> {m.direction === 'in' ? '⟵' : '⟶'} <strong>{m.label}</strong>
            {m.changed?.length ? <span className="small"> — {m.changed.map((f) => FIELD_LABELS[f] ?? f).join(', ')}</span> : null}
            {m.replacedHere?.length ? (
              <span className="warn small"> (remplace une valeur saisie ici : {m.replacedHere.map((f) => FIELD_LABELS[f] ?? f).join(', ')} — voir l’historique)</span>
            ) : null}
            {m.direction === 'out' ? <DeliverySteps m={m} /> : null}
          </li>
        ))}
      </ul>
      {problem ? (
        <p className="error small" role="alert">
          {problem}
        </p>
      ) : null}
      <details
        className="hub-journal"
        onToggle={(e) => {
          if ((e.target as HTMLDetailsElement).open && !journal) void showMessages();
        }}
      >
        <summary>Messages complets (tels que reçus et envoyés)</summary>
        {journal === null ? (
          <p className="muted small">Chargement…</p>
        ) : journal.length === 0 ? (
          <p className="muted small">Aucun message conservé pour ce dossier.</p>
        ) : (
          journal.map((j, i) => (
            <div key={`${j.distributionId}-${i}`}>
              <p className="small">
                {dateTime(j.at)} — {j.direction === 'in' ? 'reçu' : 'envoyé'} — {j.useCase ?? 'message'} {j.note ? `(${j.note})` : ''}{' '}
                <span className="mono">{j.distributionId}</span>
              </p>
              <pre className="hub-raw">{JSON.stringify(j.body, null, 2)}</pre>
            </div>
          ))
        )}
      </details>
    </section>
  );
}
