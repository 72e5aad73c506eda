/**
 * The full event log of a case: who, what, when, from which workstation, and its standing with
 * the server. A supervisor reads it as the medico-legal record.
 */
import type { MethodOutput } from '../../../src-shared/contract/methods';
import { DECISIONS, LINE_LABELS, PRIORITY_LABELS, ROLE_LABELS } from '../../../src-shared/domain/codes';
import { dateTime, displayNumber, duration } from '../../ui/labels';
import { DELIVERY_LABELS as HUB_DELIVERY_LABELS } from '../../../src-shared/domain/hubsante-protocol';

type History = MethodOutput<'case.history'>;
type Entry = History[number];

function describe(e: Entry): string {
  switch (e.kind) {
    case 'case.opened':
      return `ouverture du dossier (${LINE_LABELS[e.payload.line]})`;
    case 'case.fields_updated': {
      const c = e.payload.changes;
      const parts = Object.keys(c).map((k) => FIELD_LABELS[k] ?? k);
      const prio = c.priority ? ` — ${PRIORITY_LABELS[c.priority]}` : '';
      return `mise à jour : ${parts.join(', ')}${prio}`;
    }
    case 'case.note_added':
      return `note : « ${e.payload.text} »`;
    case 'case.sent_to_regulation':
      return 'envoi en régulation';
    case 'case.taken':
      return 'prise en charge par le médecin';
    case 'case.released':
      return 'remis dans la file';
    case 'case.decided':
      return `décision : ${DECISIONS[e.payload.decision.code].label}`;
    case 'case.closed':
      return 'clôture';
    case 'case.cancelled':
      return `annulation : ${e.payload.reason}`;
    case 'case.transferred_samu':
      return `transfert au SAMU : ${e.payload.reason}`;
    case 'case.reopened':
      return `réouverture : ${e.payload.reason}`;
    case 'case.linked':
      return 'lien avec un autre dossier';
    case 'case.handed_over':
      return `confié à ${e.payload.to.displayName}`;
    case 'case.call_recorded': {
      const c = e.payload.call;
      const who = displayNumber(c.remote);
      const length = c.answeredAt ? `durée ${duration(c.endedAt - c.answeredAt)}` : 'sans réponse';
      const transfer = c.transferredTo ? `, transféré vers ${c.transferredTo}` : '';
      return c.direction === 'in' ? `appel reçu de ${who} (${LINE_LABELS[c.line]}), ${length}${transfer}` : `appel passé vers ${who}, ${length}${transfer}`;
    }
    case 'case.hand_over_answered':
      return e.payload.accept ? 'prise en charge acceptée (réponse envoyée au SAMU)' : `prise en charge refusée : ${e.payload.reason ?? ''} (dossier rendu au SAMU)`;
    case 'case.hub_opened':
      return `dossier reçu du ${e.payload.link.peerName ?? e.payload.link.peer} par le Hub Santé${e.payload.link.owner === e.payload.link.ours ? ', confié à la régulation libérale' : ''}`;
    case 'case.hub_updated': {
      const parts = [
        ...Object.keys(e.payload.changes).map((k) => FIELD_LABELS[k] ?? k),
        ...(e.payload.notes.length ? [`${e.payload.notes.length} note(s) : « ${e.payload.notes.map((n) => n.text).join(' » « ')} »`] : []),
        ...(e.payload.owner ? [`responsable : ${e.payload.owner === e.payload.ours ? 'nous' : e.payload.owner}`] : []),
      ];
      return `mise à jour reçue du SAMU${parts.length ? ` — ${parts.join(', ')}` : ''}`;
    }
    case 'case.hub_delivery': {
      const d = e.payload.delivery;
      const what = d.overdue ? 'sans accusé de réception dans le délai' : d.state ? HUB_DELIVERY_LABELS[d.state] : 'suivi';
      return `${d.label} : ${what}${d.error ? ` (erreur ${d.error.code} : ${d.error.cause})` : ''}`;
    }
  }
}

const FIELD_LABELS: Record<string, string> = {
  line: 'ligne',
  callbackPhone: 'numéro de rappel',
  caller: 'appelant',
  patient: 'patient',
  location: 'localisation',
  reasonCode: 'motif',
  reasonText: 'précisions',
  priority: 'priorité',
};

/** `synced`: this workstation works with a central server (a standalone one has nothing to wait for). */
export function Timeline({ history, synced }: { history: History; synced: boolean }) {
  return (
    <section className="timeline" aria-label="Historique du dossier">
      <h3>Historique</h3>
      <ol>
        {history.map((e) => (
          <li key={e.id}>
            <span className="mono">{dateTime(e.serverTime ?? e.clientTime)}</span> — <strong>{e.actor.displayName}</strong>{' '}
            <span className="muted small">({ROLE_LABELS[e.actor.role]}, poste {e.workstationId.slice(-6)})</span> : {describe(e)}
            {e.syncStatus === 'rejected' ? (
              <span className="error small"> (refusé par le serveur)</span>
            ) : synced && e.syncStatus === 'pending' ? (
              <span className="muted small"> (non synchronisé)</span>
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
}
