/**
 * The center's Hub Santé link for its users: the connection and the last message in and out, our
 * messages the SAMU has not acknowledged (late ones first, with their case), the appointments the
 * national SAS platform booked (a regulator links each to a case: they carry none), and for
 * supervisors the quarantine of received messages that could not be integrated, to read and replay.
 */
import { useCallback, useEffect, useState } from 'react';
import type { HubAppointment, QuarantineItem } from '../../../src-shared/schemas/hubsante';
import { HUB_ERROR_CODES } from '../../../src-shared/domain/hubsante-protocol';
import { useApp } from '../../app/context';
import { dateTime, writtenDateTime } from '../../ui/labels';

const LINK_LABELS = { connected: 'Connecté', connecting: 'Connexion…', disconnected: 'Déconnecté — reconnexion automatique', stopped: 'Arrêté' } as const;
const USE_CASES: Record<string, string> = {
  createCaseHealth: 'dossier (RS-EDA)',
  createCaseHealthUpdate: 'mise à jour (RS-EDA-MAJ)',
  reference: 'accusé de réception (RC-REF)',
  error: 'erreur (RS-ERROR)',
  appointment: 'rendez-vous SAS (RS-SAS-RDV)',
};
const nameOfUseCase = (u: string) => USE_CASES[u] ?? u;
const APPOINTMENT_STATUS = { pending: 'en attente', booked: 'réservé', fulfilled: 'honoré', noshow: 'patient absent', cancelled: 'annulé' } as Record<string, string>;

/** The header's indicator: the link's state, and how many messages wait too long for the SAMU. */
export function HubIndicator() {
  const hub = useApp((s) => s.hub);
  const mainView = useApp((s) => s.mainView);
  const setMainView = useApp((s) => s.setMainView);
  if (!hub?.enabled) return null;
  const late = hub.status.waiting.filter((w) => w.overdue).length;
  const up = hub.status.state === 'connected';
  return (
    <button
      type="button"
      className={`pill ${up && late === 0 ? 'pill-ok' : 'pill-alert'}`}
      aria-pressed={mainView === 'hub'}
      onClick={() => setMainView(mainView === 'hub' ? 'work' : 'hub')}
      title="Liaison Hub Santé avec le SAMU et la plateforme SAS"
    >
      Hub Santé : {up ? 'connecté' : 'déconnecté'}
      {late ? ` — ${late} sans accusé` : ''}
    </button>
  );
}

function appointmentText(a: HubAppointment): string {
  const d = a.data as { practitioner?: { firstName?: string; lastName?: string }; organization?: { name?: string }; orientationCategory?: string };
  const who = [d.practitioner?.firstName, d.practitioner?.lastName].filter(Boolean).join(' ');
  return [who || null, d.organization?.name, d.orientationCategory].filter(Boolean).join(' — ');
}

export function HubPanel() {
  const bridge = useApp((s) => s.bridge);
  const hub = useApp((s) => s.hub);
  const role = useApp((s) => s.session?.actor.role);
  const current = useApp((s) => s.current);
  const selectCase = useApp((s) => s.selectCase);
  const setMainView = useApp((s) => s.setMainView);
  const [quarantine, setQuarantine] = useState<QuarantineItem[]>([]);
  const [appointments, setAppointments] = useState<HubAppointment[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const supervisor = role === 'supervisor' || role === 'admin';
  const fetchLists = useCallback(
    () => Promise.all([supervisor ? bridge.invoke('hub.quarantine', {}) : null, role !== 'admin' ? bridge.invoke('hub.appointments', {}) : null]),
    [bridge, role, supervisor],
  );
  const show = ([q, a]: Awaited<ReturnType<typeof fetchLists>>) => {
    if (q?.ok) setQuarantine(q.value);
    if (a?.ok) setAppointments(a.value);
  };
  const load = () => void fetchLists().then(show);
  useEffect(() => {
    let stale = false;
    const reload = () => void fetchLists().then((r) => !stale && show(r));
    reload();
    // A message arrived, an appointment was linked, a replay went through: read the lists again.
    const off = bridge.on('hub.changed', reload);
    return () => {
      stale = true;
      off();
    };
  }, [bridge, fetchLists]);

  if (!hub?.enabled) {
    return (
      <section className="panel hub-panel" aria-label="Hub Santé">
        <h2>Hub Santé</h2>
        <p className="muted">Ce centre n’est pas relié au Hub Santé (voir la configuration du serveur).</p>
      </section>
    );
  }
  const s = hub.status;
  const open = (caseId: string | null) => {
    if (!caseId) return;
    setMainView('work');
    void selectCase(caseId);
  };
  return (
    <section className="panel hub-panel" aria-label="Hub Santé">
      <h2>Hub Santé</h2>
      <dl className="hub-facts">
        <dt>Liaison</dt>
        <dd className={s.state === 'connected' ? 'ok' : 'error'}>
          {LINK_LABELS[s.state]}
          {s.connectedAt ? ` depuis ${dateTime(s.connectedAt)}` : ''}
          {s.state !== 'connected' && s.lastError ? ` (${s.lastError})` : ''}
        </dd>
        <dt>Identité</dt>
        <dd className="mono">
          {s.clientId} — {s.vhost}
        </dd>
        <dt>Partenaires</dt>
        <dd>
          {s.samu.name ?? s.samu.id} (<span className="mono">{s.samu.id}</span>), {s.sas.name ?? s.sas.id} (<span className="mono">{s.sas.id}</span>)
        </dd>
        <dt>Dernier message reçu</dt>
        <dd>{s.lastIn ? `${dateTime(s.lastIn.at)} — ${nameOfUseCase(s.lastIn.useCase)} de ${s.lastIn.peer}` : 'aucun depuis le démarrage du serveur'}</dd>
        <dt>Dernier message envoyé</dt>
        <dd>{s.lastOut ? `${dateTime(s.lastOut.at)} — ${nameOfUseCase(s.lastOut.useCase)} à ${s.lastOut.peer}` : 'aucun depuis le démarrage du serveur'}</dd>
      </dl>
      {message ? (
        <p className="notice" role="status">
          {message}
        </p>
      ) : null}

      <h3>
        En attente d’accusé de réception <span className="count">{s.waiting.length}</span>
      </h3>
      {s.waiting.length === 0 ? (
        <p className="muted small">Tous nos messages ont été acquittés par leur destinataire.</p>
      ) : (
        <table className="hub-table">
          <thead>
            <tr>
              <th>Envoyé</th>
              <th>Message</th>
              <th>Destinataire</th>
              <th>État</th>
              <th>Envois</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {s.waiting.toSorted((a, b) => Number(b.overdue) - Number(a.overdue) || a.createdAt - b.createdAt).map((w) => (
              <tr key={w.distributionId} className={w.overdue ? 'late' : ''}>
                <td className="mono">{dateTime(w.createdAt)}</td>
                <td>{w.label}</td>
                <td className="mono">{w.recipient}</td>
                <td>{w.overdue ? `Sans accusé depuis plus de ${Math.round(s.ackAlertSeconds / 60)} min` : w.state === 'pending' ? 'En attente d’envoi' : 'Reçu par le Hub'}</td>
                <td>{w.attempts}</td>
                <td>
                  {w.caseId && role !== 'admin' ? (
                    <button type="button" className="link" onClick={() => open(w.caseId)}>
                      Ouvrir le dossier
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {role !== 'admin' ? (
        <>
          <h3>
            Rendez-vous pris par la plateforme SAS <span className="count">{appointments.filter((a) => !a.caseId).length} à lier</span>
          </h3>
          {appointments.length === 0 ? (
            <p className="muted small">Aucun rendez-vous reçu.</p>
          ) : (
            <ul className="hub-appointments">
              {appointments.map((a) => (
                <li key={a.appointmentId}>
                  <span className="mono">{a.startAt ? writtenDateTime(a.startAt) : '—'}</span> — {appointmentText(a)} — {APPOINTMENT_STATUS[a.status ?? ''] ?? a.status ?? ''}{' '}
                  <span className="muted small mono">{a.appointmentId}</span>{' '}
                  {a.caseId ? (
                    <button type="button" className="link" onClick={() => open(a.caseId)}>
                      Lié au dossier (par {a.linkedBy})
                    </button>
                  ) : current && (role === 'arm' || role === 'physician') ? (
                    <button
                      type="button"
                      onClick={() =>
                        void bridge.invoke('hub.linkAppointment', { appointmentId: a.appointmentId, caseId: current.id }).then((r) => {
                          setMessage(r.ok ? `Rendez-vous lié au dossier ${current.reference}.` : r.error.message);
                          void load();
                        })
                      }
                    >
                      Lier au dossier {current.reference}
                    </button>
                  ) : (
                    <span className="muted small">ouvrez le dossier du patient pour l’y lier</span>
                  )}
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}

      {supervisor ? (
        <>
          <h3>
            Quarantaine <span className="count">{quarantine.length}</span>
          </h3>
          {quarantine.length === 0 ? (
            <p className="muted small">Aucun message reçu en attente : tout a été intégré.</p>
          ) : (
            <ul className="hub-quarantine">
              {quarantine.map((q) => (
                <li key={q.distributionId}>
                  <p>
                    <span className="mono">{dateTime(q.receivedAt)}</span> — {nameOfUseCase(q.useCase)} de <span className="mono">{q.sender}</span> — erreur {q.errorCode}{' '}
                    {q.errorCode ? `(${HUB_ERROR_CODES[q.errorCode as keyof typeof HUB_ERROR_CODES] ?? ''})` : ''} : {q.errorCause}
                    {q.replays ? ` — rejoué ${q.replays} fois` : ''}
                  </p>
                  <button
                    type="button"
                    onClick={() =>
                      void bridge.invoke('hub.replay', { distributionId: q.distributionId }).then((r) => {
                        setMessage(r.ok ? (r.value.outcome === 'applied' ? 'Message intégré.' : 'Toujours impossible à intégrer : voir la cause.') : r.error.message);
                        void load();
                      })
                    }
                  >
                    Rejouer
                  </button>
                  <details>
                    <summary>Message tel que reçu</summary>
                    <pre className="hub-raw">{JSON.stringify(q.body, null, 2)}</pre>
                  </details>
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}
    </section>
  );
}
