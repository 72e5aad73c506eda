/**
 * The lines as an ARM sees them: each line's queue (how many wait, for how long), and the callers
 * who hung up before being answered, oldest first, each called back in one click. An entry a
 * colleague is calling back shows who, and cannot be taken twice.
 */
import { useApp } from '../../app/context';
import { displayNumber, duration, timeOfDay, waitingTime } from '../../ui/labels';
import { useNow } from '../../ui/use-now';

export function LineQueues() {
  const status = useApp((s) => s.lines.status);
  const at = useApp((s) => s.linesAt);
  const now = useNow(1000);
  if (!status.enabled) return null;
  return (
    <div className="line-queues" role="status" aria-label="Appels en attente sur les lignes">
      {!status.connected ? <span className="line-down">Distribution des appels hors service</span> : null}
      {status.lines.map((l) => (
        <span key={l.line} className={`line-queue${l.waiting ? ' line-queue-busy' : ''}`}>
          <strong>{l.label}</strong> {l.waiting === 0 ? 'aucun appel en attente' : `${l.waiting} en attente · la plus longue ${duration(l.longestWaitMs + Math.max(0, now - at))}`}
        </span>
      ))}
    </div>
  );
}

export function CallbackList() {
  const callbacks = useApp((s) => s.lines.callbacks);
  const enabled = useApp((s) => s.lines.status.enabled);
  const callingBack = useApp((s) => s.callingBack);
  const phoneReady = useApp((s) => s.phone.registration === 'registered' && s.phone.call === null);
  const callBack = useApp((s) => s.callBack);
  // Supervisors watch the list; those who take calls call back.
  const canCall = useApp((s) => s.session?.actor.role === 'arm' || s.session?.actor.role === 'physician');
  const now = useNow(1000);
  if (!enabled && callbacks.length === 0) return null;
  return (
    <section className="callbacks" aria-labelledby="callbacks-title">
      <h2 id="callbacks-title">
        À rappeler <span className="count">{callbacks.filter((c) => c.state === 'open').length}</span>
      </h2>
      {callbacks.length === 0 ? <p className="muted empty">Aucun appel abandonné à rappeler.</p> : null}
      <ul className="callback-list">
        {callbacks.map((c) => (
          <li key={c.id} className={`callback callback-${c.state}`}>
            <div className="callback-who">
              <strong className="mono">{displayNumber(c.number)}</strong>
              {c.abandons > 1 ? <span className="callback-repeat" title="Nombre d’appels abandonnés par ce numéro">{c.abandons} appels</span> : null}
            </div>
            <div className="muted small">
              {c.lineLabel} · raccroché à {timeOfDay(c.lastAt)} ({now - c.lastAt < 60_000 ? 'à l’instant' : `il y a ${waitingTime(c.lastAt, now)}`}) · attente {duration(c.longestWaitMs)}
            </div>
            {c.state === 'calling' ? (
              <span className="callback-taken">{callingBack?.id === c.id ? 'Vous rappelez ce numéro…' : `Rappel en cours par ${c.claimedBy ?? 'un collègue'}`}</span>
            ) : !canCall ? null : (
              <button type="button" className="primary small" disabled={!phoneReady || callingBack !== null} onClick={() => void callBack(c.id)} aria-label={`Rappeler le ${displayNumber(c.number)}`}>
                Rappeler
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
