/**
 * "Qui peut prendre ce patient ?": the effectors who can take a visit or a consultation now
 * (the patient's sector first, then neighbouring sectors; a fair order inside each), one button
 * that sends the request to them in cascade (treating doctor first), the request followed live
 * (who was asked, who declined, who accepted), and the appointment confirmed into the decision.
 */
import { useMemo, useState } from 'react';
import { availableEffectors, seedOf } from '../../../src-shared/domain/effector-availability';
import { DELAY_CODES, DELAY_LABELS, NEED_LABELS, effectorName, type DelayCode, type EffectorRequest, type Need } from '../../../src-shared/schemas/effectors';
import type { RegulationCase } from '../../../src-shared/schemas/case';
import { displayPhone } from '../../../src-shared/text/phone';
import { useApp } from '../../app/context';
import { useNow } from '../../ui/use-now';
import { timeOfDay, toLocalInput } from '../../ui/labels';
import { CodeSelect } from '../../ui/CodeSelect';
import { DateTimeField } from '../../ui/DateFields';

/** A home visit first: what a regulator asks most at night. */
const NEED_ORDER = ['visit', 'consultation'] as const;
const NEARNESS_LABELS = ['secteur du patient', 'secteur voisin', 'autre secteur'] as const;
const DELAY_MS: Partial<Record<DelayCode, number>> = { DEL0: 0, ASAP: 3600_000, '30M': 1800_000, '45M': 2700_000, '1H': 3600_000, '2H': 7200_000, '4H': 4 * 3600_000 };


function RequestStatus({ request, current, canAct }: { request: EffectorRequest; current: RegulationCase; canAct: boolean }) {
  const bridge = useApp((s) => s.bridge);
  const command = useApp((s) => s.command);
  const directory = useApp((s) => s.directory);
  const [problem, setProblem] = useState<string | null>(null);
  const winner = request.acceptedBy ? directory?.effectors.find((e) => e.id === request.acceptedBy!.effectorId) : undefined;
  const places = request.need === 'visit' ? ['Domicile du patient'] : (winner?.places ?? []).map((p) => `${p.name}, ${p.address}`);
  // What the physician changed, else what the acceptance gives: the request is usually shown
  // (and this component mounted) before anybody accepts, so nothing is fixed at mount.
  const [placeChosen, setPlace] = useState<string | null>(null);
  const [atChosen, setAt] = useState<string | null>(null);
  const place = placeChosen ?? places[0] ?? '';
  const at = atChosen ?? toLocalInput((request.acceptedBy?.at ?? request.sentAt) + (DELAY_MS[request.delay] ?? 3600_000));
  const asked = request.recipients.filter((r) => r.notifiedAt !== null);
  const confirmed = current.decision?.requestId === request.id;

  const confirm = async () => {
    if (!request.acceptedBy) return;
    const when = new Date(at).getTime();
    if (!Number.isFinite(when)) return setProblem('Heure du rendez-vous invalide.');
    if (!place.trim()) return setProblem('Indiquez le lieu.');
    await command({
      type: 'decide',
      decision: {
        code: request.need === 'visit' ? 'HOME_VISIT' : 'CONSULTATION',
        effector: `${request.acceptedBy.name} (${displayPhone(request.acceptedBy.phone)})`,
        effectorId: request.acceptedBy.effectorId,
        requestId: request.id,
        appointmentAt: when,
        place: place.trim(),
      },
    });
  };

  return (
    <div className={`effector-request state-${request.state}`} aria-label="Sollicitation des effecteurs">
      <p role="status">
        <strong>{NEED_LABELS[request.need]}</strong> — {DELAY_LABELS[request.delay].toLowerCase()} — envoyée à {timeOfDay(request.sentAt)} par {request.sentBy} :{' '}
        {request.state === 'open' ? (
          <>
            en attente ({request.tierLabels[request.tier] ?? '—'}
            {request.nextTierAt ? `, palier suivant à ${timeOfDay(request.nextTierAt)}` : ''})
          </>
        ) : request.state === 'accepted' ? (
          <strong className="ok">
            acceptée par {request.acceptedBy!.name} ({displayPhone(request.acceptedBy!.phone)}) à {timeOfDay(request.acceptedBy!.at)}
          </strong>
        ) : request.state === 'unanswered' ? (
          <strong className="error">personne n’a accepté dans les délais</strong>
        ) : (
          'annulée'
        )}
      </p>
      {request.state === 'unanswered' ? (
        <p className="alert" role="alert">
          Aucun effecteur n’a accepté : relancez, ou orientez autrement (garde, MMG, SAMU).
        </p>
      ) : null}
      <ul className="recipients small">
        {asked.map((r) => (
          <li key={r.effectorId}>
            {r.name} <span className="muted">({request.tierLabels[r.tier]?.toLowerCase()}, sollicité à {timeOfDay(r.notifiedAt!)})</span>
            {r.answer === 'accepted' ? <strong className="ok"> — a accepté</strong> : r.answer === 'declined' ? <span className="muted"> — a décliné</span> : null}
          </li>
        ))}
        {asked.length === 0 ? <li className="muted">aucun effecteur disponible à solliciter</li> : null}
      </ul>
      {request.treatingDoctorInformed ? <p className="muted small">Le médecin traitant a été informé de la prise en charge par un confrère.</p> : null}
      {request.outcome ? (
        <p className="small">
          Compte rendu de l’effecteur ({timeOfDay(request.outcome.at)}) : <strong>{request.outcome.outcome === 'seen' ? 'patient vu' : 'patient absent'}</strong>
          {request.outcome.summary ? ` — ${request.outcome.summary}` : ''}
        </p>
      ) : null}
      {canAct && request.state === 'accepted' && !confirmed ? (
        <form
          className="row confirm-appointment"
          onSubmit={(e) => {
            e.preventDefault();
            void confirm();
          }}
        >
          <DateTimeField label="Heure du rendez-vous" name="appointmentAt" value={at} onChange={setAt} />
          <label className="grow">
            Lieu
            {places.length > 1 ? (
              <select name="place" value={place} onChange={(e) => setPlace(e.target.value)}>
                {places.map((p) => (
                  <option key={p}>{p}</option>
                ))}
              </select>
            ) : (
              <input name="place" value={place} onChange={(e) => setPlace(e.target.value)} />
            )}
          </label>
          <button type="submit" className="primary">
            Confirmer le rendez-vous
          </button>
        </form>
      ) : null}
      {canAct && (request.state === 'open' || request.state === 'unanswered') ? (
        <button
          type="button"
          onClick={() =>
            void bridge.invoke('effectors.cancelRequest', { requestId: request.id }).then((r) => (r.ok ? undefined : setProblem(r.error.message)))
          }
        >
          Annuler la sollicitation
        </button>
      ) : null}
      {problem ? (
        <p className="error small" role="alert">
          {problem}
        </p>
      ) : null}
    </div>
  );
}

export function EffectorPanel({ current, canAct }: { current: RegulationCase; canAct: boolean }) {
  const bridge = useApp((s) => s.bridge);
  const setMainView = useApp((s) => s.setMainView);
  const directory = useApp((s) => s.directory);
  const { profiles, requests } = useApp((s) => s.effectors);
  const now = useNow(30_000);
  const [need, setNeed] = useState<Need>('visit');
  const [delay, setDelay] = useState<DelayCode>('2H');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const sector = current.fields.location?.sectorId;
  const treatingId = current.fields.treatingDoctor?.id;
  const available = useMemo(
    () =>
      directory
        ? availableEffectors(directory.effectors, new Map(profiles.map((p) => [p.effectorId, p])), directory.sectors, {
            need,
            at: now,
            seed: seedOf(current.id),
            ...(sector ? { sectorCode: sector } : {}),
          })
        : [],
    [directory, profiles, need, now, current.id, sector],
  );
  const mine = requests.filter((r) => r.caseId === current.id);
  const live = mine.find((r) => r.state === 'open');
  // An acceptance not yet confirmed into the decision: asking again would call a second doctor.
  const awaitingConfirmation = mine.find((r) => r.state === 'accepted' && current.decision?.requestId !== r.id);
  if (!directory || directory.effectors.length === 0) return null;

  return (
    <section className="effectors" aria-label="Qui peut prendre ce patient ?">
      <h4>Qui peut prendre ce patient ?</h4>
      <div className="row">
        <CodeSelect label="Besoin" name="need" value={need} codes={NEED_ORDER} labels={NEED_LABELS} onChange={(n) => n && setNeed(n)} />
        <CodeSelect label="Délai souhaité" name="delay" value={delay} codes={DELAY_CODES} labels={DELAY_LABELS} onChange={(d) => d && setDelay(d)} />
        {canAct && !awaitingConfirmation ? (
          <button
            type="button"
            className="primary"
            disabled={busy || !!live}
            onClick={() => {
              setBusy(true);
              setProblem(null);
              void bridge
                .invoke('effectors.sendRequest', { caseId: current.id, need, delay })
                .then((r) => (r.ok ? undefined : setProblem(r.error.message)))
                .finally(() => setBusy(false));
            }}
          >
            Solliciter les effecteurs
          </button>
        ) : null}
        <button type="button" onClick={() => setMainView('agenda')}>
          Chercher un créneau (agenda partagé)
        </button>
      </div>
      <p className="muted small">
        {available.length} effecteur{available.length > 1 ? 's' : ''} disponible{available.length > 1 ? 's' : ''} maintenant
        {sector ? ` (secteur ${sector} d’abord)` : ''}. La demande part d’abord au médecin traitant s’il est inscrit, sans nom ni adresse du patient.
      </p>
      <table className="available small">
        <thead>
          <tr>
            <th>Effecteur</th>
            <th>Téléphone</th>
            <th>Secteur</th>
            <th>Lieux</th>
          </tr>
        </thead>
        <tbody>
          {available.slice(0, 12).map(({ effector, nearness, places }) => (
            <tr key={effector.id}>
              <td>
                {effectorName(effector)}
                {effector.id === treatingId ? <strong> (médecin traitant)</strong> : null}
                {!effector.participation.cascade ? <span className="muted"> (non inscrit aux sollicitations)</span> : null}
              </td>
              <td className="mono">{displayPhone(effector.phone)}</td>
              <td>{NEAREST(nearness, effector.sectors)}</td>
              <td>{places.map((p) => p.name).join(' ; ') || '—'}</td>
            </tr>
          ))}
          {available.length === 0 ? (
            <tr>
              <td colSpan={4} className="muted">
                Aucun effecteur disponible pour ce besoin maintenant.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {problem ? (
        <p className="error small" role="alert">
          {problem}
        </p>
      ) : null}
      {mine.map((r) => (
        <RequestStatus key={r.id} request={r} current={current} canAct={canAct} />
      ))}
    </section>
  );
}

const NEAREST = (nearness: 0 | 1 | 2, sectors: string[]) => `${sectors.join(', ')} — ${NEARNESS_LABELS[nearness]}`;
