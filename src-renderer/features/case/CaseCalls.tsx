/**
 * The calls of a case (received and placed, with their times and holds) and the one-click call
 * back of the case's number through the softphone.
 */
import type { RegulationCase } from '../../../src-shared/schemas/case';
import { displayPhone } from '../../../src-shared/text/phone';
import { useApp } from '../../app/context';
import { dateTime, displayNumber, duration, LINE_LABELS } from '../../ui/labels';

export function CaseCalls({ current }: { current: RegulationCase }) {
  const phone = useApp((s) => s.phone);
  const dial = useApp((s) => s.phoneCall);
  const calls = current.calls ?? [];
  const number = current.fields.callbackPhone;
  const canCall = phone.registration === 'registered' && !(phone.call && phone.call.state !== 'ended') && Boolean(number);
  return (
    <section className="case-calls" aria-label="Appels du dossier">
      <h3>
        Appels <span className="count">{calls.length}</span>
        {number ? (
          <button type="button" disabled={!canCall} // French trunks are dialled in the national form (06…), as an ARM would dial it.
            onClick={() => void dial(displayPhone(number), current.id)} title={phone.registration === 'registered' ? '' : 'Téléphone non disponible'}>
            Rappeler le {displayPhone(number)}
          </button>
        ) : null}
      </h3>
      {calls.length ? (
        <ul>
          {calls.map((c) => (
            <li key={c.callId}>
              <span className="mono small">{dateTime(c.arrivedAt)}</span> —{' '}
              {c.direction === 'in' ? `reçu de ${displayNumber(c.remote)} (${LINE_LABELS[c.line]})` : `passé vers ${displayNumber(c.remote)}`} —{' '}
              {c.answeredAt ? `décroché en ${duration(c.answeredAt - c.arrivedAt)}, durée ${duration(c.endedAt - c.answeredAt)}` : 'sans réponse'}
              {c.holds.length ? `, ${c.holds.length} mise${c.holds.length > 1 ? 's' : ''} en attente` : ''}
              {c.transferredTo ? `, transféré vers ${c.transferredTo}` : ''} — {c.agent}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
}
