/**
 * The full event log of a case: who, what, when, from which workstation, and its standing with
 * the server. A supervisor reads it as the medico-legal record.
 */
import type { MethodOutput } from '../../../src-shared/contract/methods';
import { DECISIONS, LINE_LABELS, ROLE_LABELS } from '../../../src-shared/domain/codes';
import { dateTime, displayNumber, duration, workstationLabel } from '../../ui/labels';
import { DELIVERY_LABELS as HUB_DELIVERY_LABELS } from '../../../src-shared/domain/hubsante-protocol';
import type { FieldSource, ScreeningFields } from '../../../src-shared/schemas/case';
import { isCompleteLog } from '../../../src-shared/domain/case-lifecycle';
import { FIELD_LABELS, fieldValueText } from './field-values';

type History = MethodOutput<'case.history'>;
type Entry = History[number];

function describe(e: Entry): string {
  switch (e.kind) {
    case 'case.opened':
      return `ouverture du dossier (${LINE_LABELS[e.payload.line]})`;
    case 'case.fields_updated':
      // The values follow, field by field (see Changes).
      return 'mise à jour';
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
        ...(e.payload.notes.length ? [`${e.payload.notes.length} note(s) : « ${e.payload.notes.map((n) => n.text).join(' » « ')} »`] : []),
        ...(e.payload.owner ? [`responsable : ${ownerName(e.payload.owner, e.payload.ours, e.payload.message.senderId, e.actor.displayName)}`] : []),
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


interface FieldChange {
  field: keyof ScreeningFields;
  after: unknown;
  /** The value replaced, when the event recorded it (a partner's update does). */
  before?: { value: unknown; setBy?: FieldSource };
}

/** The case's owner as a regulator says it: us, the partner by its name, or another center's Hub id. */
function ownerName(owner: string, ours: string, sender: string, senderName: string): string {
  if (owner === ours) return 'nous';
  return owner === sender ? senderName : owner;
}

/** What an update changed, field by field, read from the event itself. */
function changesOf(e: Entry): FieldChange[] | undefined {
  if (e.kind !== 'case.fields_updated' && e.kind !== 'case.hub_updated') return undefined;
  const previous = e.kind === 'case.hub_updated' ? e.payload.previous : undefined;
  const changes = (Object.keys(e.payload.changes) as (keyof ScreeningFields)[]).map((field) => ({
    field,
    after: e.payload.changes[field],
    ...(previous && previous.values[field] !== undefined ? { before: { value: previous.values[field], ...(previous.setBy[field] ? { setBy: previous.setBy[field] } : {}) } } : {}),
  }));
  return changes.length ? changes : undefined;
}

const valueText = (field: keyof ScreeningFields, value: unknown) => fieldValueText(field, value as ScreeningFields[typeof field]);

/** The values an update set; a partner's replacement of a value typed here stands out. */
function Changes({ entry }: { entry: Entry }) {
  const changes = changesOf(entry);
  if (!changes) return null;
  return (
    <ul className="field-changes">
      {changes.map((c) => {
        const typedHere = c.before?.setBy && c.before.setBy.role !== 'hub' ? c.before.setBy : null;
        return (
          <li key={c.field} className={typedHere ? 'replaced' : undefined}>
            {FIELD_LABELS[c.field] ?? c.field} :{' '}
            {c.before ? (
              <>
                <span className="muted">{valueText(c.field, c.before.value)}</span> →{' '}
              </>
            ) : null}
            <strong>{valueText(c.field, c.after)}</strong>
            {typedHere ? <span className="warn small"> — remplace la valeur saisie ici par {typedHere.by} ({dateTime(typedHere.at)})</span> : null}
          </li>
        );
      })}
    </ul>
  );
}

/** `synced`: this workstation works with a central server (a standalone one has nothing to wait for). */
export function Timeline({ history, synced }: { history: History; synced: boolean }) {
  return (
    <section className="timeline" aria-label="Historique du dossier">
      <h3>Historique</h3>
      {history.length > 0 && !isCompleteLog(history) ? (
        <p className="muted small" role="note">
          Le début de l’historique de ce dossier est sur le serveur central, injoignable pour l’instant : rouvrez le dossier une fois le poste en ligne pour le voir.
        </p>
      ) : null}
      <ol>
        {history.map((e) => (
          <li key={e.id}>
            <span className="mono">{dateTime(e.serverTime ?? e.clientTime)}</span> — <strong>{e.actor.displayName}</strong>{' '}
            <span className="muted small">({ROLE_LABELS[e.actor.role]}, {workstationLabel(e.workstationId)})</span> : {describe(e)}
            {e.syncStatus === 'rejected' ? (
              <span className="error small"> (refusé par le serveur)</span>
            ) : synced && e.syncStatus === 'pending' ? (
              <span className="muted small"> (non synchronisé)</span>
            ) : null}
            <Changes entry={e} />
          </li>
        ))}
      </ol>
    </section>
  );
}
