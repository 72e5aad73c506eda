import { useApp } from '../../app/context';
import { timeOfDay } from '../../ui/labels';

/** The link with the central server, always visible: online, or offline since when, with what waits. */
export function SyncIndicator() {
  const sync = useApp((s) => s.sync);
  const mode = useApp((s) => s.session?.mode);
  if (!sync || mode === 'local') return <span className="pill">Poste autonome</span>;
  const waiting = sync.pending > 0 ? ` · ${sync.pending} en attente d’envoi` : '';
  if (sync.enabled && sync.connection === 'online') {
    return (
      <span className="pill pill-ok" role="status" title="Serveur central joignable">
        ● En ligne{waiting}
      </span>
    );
  }
  if (sync.enabled && sync.connection === 'connecting' && sync.offlineSince === null) {
    return (
      <span className="pill" role="status">
        Connexion au serveur…
      </span>
    );
  }
  const since = sync.offlineSince ? ` depuis ${timeOfDay(sync.offlineSince)}` : '';
  return (
    <span className="pill pill-alert" role="alert" title={sync.lastError ?? undefined}>
      ▲ Hors ligne{since}{waiting}
    </span>
  );
}
