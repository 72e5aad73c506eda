import { useApp } from '../../app/context';
import { timeOfDay } from '../../ui/labels';

/** The link with the central server, always visible: online, or offline since when, with what waits. */
export function SyncIndicator() {
  const sync = useApp((s) => s.sync);
  const mode = useApp((s) => s.session?.mode);
  const logout = useApp((s) => s.logout);
  if (!sync || mode === 'local') return <span className="pill">Mode formation</span>;
  if (sync.sessionExpired) {
    // Said plainly, with the way out: the server refused the session (its token ran out during an
    // outage). Logging in again sends what waits here, under this user's name.
    return (
      <span className="pill pill-alert session-expired" role="alert">
        ▲ Session expirée{sync.pending > 0 ? ` · ${sync.pending} saisie(s) gardée(s) sur ce poste` : ''}{' '}
        <button type="button" onClick={() => void logout()}>
          Se reconnecter
        </button>
      </span>
    );
  }
  const waiting = sync.pending > 0 ? ` · ${sync.pending} en attente d’envoi` : '';
  if (sync.enabled && sync.connection === 'online') {
    return (
      // The instance in use only in the tooltip (support details): the user sees one central server.
      <span className="pill pill-ok" role="status" title={`Serveur central joignable${sync.server ? ` (instance ${sync.server})` : ''}`}>
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
    <span className="pill pill-alert" role="alert" title={[sync.lastError, sync.server ? `dernière instance : ${sync.server}` : null].filter(Boolean).join(' — ') || undefined}>
      ▲ Hors ligne{since}{waiting}
    </span>
  );
}
