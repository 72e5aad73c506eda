/**
 * The shared agenda for regulators and partner organisations: free places by commune or sector,
 * modality and window, nearest first; one click holds a place (a few minutes) while the patient
 * is filled in (from the open case when there is one); the result is refreshed live when anyone
 * books or publishes; surnombre with doctors who accept it when nothing is free.
 */
import { useCallback, useEffect, useState } from 'react';
import { DELAY_CODES, DELAY_LABELS, type DelayCode } from '../../../src-shared/domain/codes';
import { MODALITIES, MODALITY_LABELS, SEARCH_WINDOWS, SEARCH_WINDOW_LABELS, type Booking, type Modality, type SearchWindow, type Slot } from '../../../src-shared/schemas/slots';
import { effectorName } from '../../../src-shared/schemas/effectors';
import { canonicalPhone, displayPhone } from '../../../src-shared/text/phone';
import { useApp } from '../../app/context';

const NEARNESS = ['secteur du patient', 'secteur voisin', 'plus loin'];
const when = (ms: number) => new Date(ms).toLocaleString('fr-FR', { weekday: 'short', day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });
const hour = (ms: number) => new Date(ms).toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' });

export function AgendaPanel() {
  const bridge = useApp((s) => s.bridge);
  const current = useApp((s) => s.current);
  const directory = useApp((s) => s.directory);
  const setMainView = useApp((s) => s.setMainView);
  const [sectorCode, setSectorCode] = useState<string>(current?.fields.location?.sectorId ?? '');
  const [modality, setModality] = useState<Modality | ''>('');
  const [window, setWindow] = useState<SearchWindow>('48h');
  const [slots, setSlots] = useState<Slot[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [held, setHeld] = useState<{ booking: Booking; slot: Slot } | null>(null);
  const [done, setDone] = useState<Booking | null>(null);
  const p = current?.fields.patient;
  const [patientName, setPatientName] = useState(p ? [p.firstName, p.lastName?.toUpperCase()].filter(Boolean).join(' ') : '');
  const [phone, setPhone] = useState(current?.fields.callbackPhone ? displayPhone(current.fields.callbackPhone) : '');
  const [reason, setReason] = useState(current?.fields.reasonText ?? '');
  const [delay, setDelay] = useState<DelayCode>('24H');

  const runSearch = useCallback(
    () =>
      bridge.invoke('agenda.search', {
        window,
        limit: 30,
        ...(sectorCode ? { sectorCode } : current?.fields.location?.inseeCode ? { inseeCode: current.fields.location.inseeCode } : {}),
        ...(modality ? { modality } : {}),
        ...(current ? { seed: current.id } : {}),
      }),
    [bridge, window, sectorCode, modality, current],
  );
  const apply = (r: Awaited<ReturnType<typeof runSearch>>) => {
    if (r.ok) {
      setSlots(r.value);
      setProblem(null);
    } else setProblem(r.error.message);
  };
  const search = () => void runSearch().then(apply);

  useEffect(() => {
    let stale = false;
    const load = () => void runSearch().then((r) => !stale && apply(r));
    load();
    // Someone booked or published: the places shown are looked up again.
    const off = bridge.on('agenda.changed', load);
    return () => {
      stale = true;
      off();
    };
  }, [bridge, runSearch]);

  const surnombre = (directory?.effectors ?? []).filter((e) => e.participation.surnombre && (!sectorCode || e.sectors.includes(sectorCode)));

  return (
    <section className="panel agenda" aria-label="Agenda partagé">
      <header className="row">
        <h2 className="grow">Agenda partagé des soins non programmés</h2>
        <button type="button" onClick={() => setMainView('work')}>
          Retour au dossier
        </button>
      </header>
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          search();
        }}
      >
        <label>
          Secteur
          <select name="sectorCode" value={sectorCode} onChange={(e) => setSectorCode(e.target.value)}>
            <option value="">{current?.fields.location?.communeName ? `Commune du patient (${current.fields.location.communeName})` : 'Tout le département'}</option>
            {(directory?.sectors ?? []).map((s) => (
              <option key={s.code} value={s.code}>
                {s.code} — {s.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Modalité
          <select name="modality" value={modality} onChange={(e) => setModality(e.target.value as Modality | '')}>
            <option value="">Toutes</option>
            {MODALITIES.map((m) => (
              <option key={m} value={m}>
                {MODALITY_LABELS[m]}
              </option>
            ))}
          </select>
        </label>
        <label>
          Quand
          <select name="window" value={window} onChange={(e) => setWindow(e.target.value as SearchWindow)}>
            {SEARCH_WINDOWS.map((w) => (
              <option key={w} value={w}>
                {SEARCH_WINDOW_LABELS[w]}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Chercher</button>
      </form>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {done ? (
        <p className="ok" role="status">
          Réservé : {done.effectorName}, {when(done.at)} — {done.patient?.name}.
        </p>
      ) : null}
      {held ? (
        <form
          className="booking-form"
          aria-label="Confirmer la réservation"
          onSubmit={(e) => {
            e.preventDefault();
            const canonical = phone.trim() ? canonicalPhone(phone) : null;
            if (phone.trim() && !canonical) return setProblem('Numéro de téléphone invalide.');
            void bridge
              .invoke('agenda.confirm', {
                bookingId: held.booking.id,
                caseId: current?.id ?? null,
                reason: reason.trim(),
                delay,
                patient: { name: patientName.trim(), phone: canonical, birthDate: p?.birthDate ?? null },
              })
              .then((r) => {
                if (!r.ok) return setProblem(r.error.message);
                setDone(r.value);
                setHeld(null);
              });
          }}
        >
          <p>
            Option posée sur <strong>{held.slot.effectorName}</strong>, {when(held.slot.start)} ({MODALITY_LABELS[held.slot.modality]}
            {held.slot.placeName ? `, ${held.slot.placeName}` : ''}) jusqu’à {hour(held.booking.heldUntil!)}.
          </p>
          <div className="row">
            <label className="grow">
              Patient
              <input name="patientName" value={patientName} onChange={(e) => setPatientName(e.target.value)} />
            </label>
            <label>
              Téléphone
              <input name="patientPhone" value={phone} onChange={(e) => setPhone(e.target.value)} />
            </label>
            <label className="grow">
              Motif
              <input name="bookingReason" value={reason} onChange={(e) => setReason(e.target.value)} />
            </label>
            <label>
              Délai souhaité
              <select name="bookingDelay" value={delay} onChange={(e) => setDelay(e.target.value as DelayCode)}>
                {DELAY_CODES.map((d) => (
                  <option key={d} value={d}>
                    {DELAY_LABELS[d]}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <div className="actions">
            <button type="button" onClick={() => void bridge.invoke('agenda.setState', { bookingId: held.booking.id, state: 'cancelled' }).then(() => setHeld(null))}>
              Lever l’option
            </button>
            <button type="submit" className="primary" disabled={!patientName.trim() || !reason.trim()}>
              Confirmer la réservation
            </button>
          </div>
        </form>
      ) : null}
      <table className="slots">
        <thead>
          <tr>
            <th>Quand</th>
            <th>Effecteur</th>
            <th>Modalité</th>
            <th>Lieu</th>
            <th>Places</th>
            <th>Proximité</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(slots ?? []).map((s) => (
            <tr key={s.id}>
              <td>
                {when(s.start)} – {hour(s.end)}
              </td>
              <td>{s.effectorName}</td>
              <td>{MODALITY_LABELS[s.modality]}</td>
              <td>{s.placeName ? `${s.placeName}, ${s.address}` : '—'}</td>
              <td>
                {s.capacity - s.taken} / {s.capacity}
              </td>
              <td>{NEARNESS[s.nearness ?? 2]}</td>
              <td>
                <button
                  type="button"
                  disabled={!!held}
                  onClick={() =>
                    void bridge.invoke('agenda.hold', { slotId: s.id }).then((r) => {
                      if (!r.ok) {
                        setProblem(r.error.message);
                        search();
                        return;
                      }
                      setDone(null);
                      setHeld({ booking: r.value, slot: s });
                    })
                  }
                >
                  Réserver
                </button>
              </td>
            </tr>
          ))}
          {slots && slots.length === 0 ? (
            <tr>
              <td colSpan={7} className="muted">
                Aucune place libre dans cette fenêtre.
                {surnombre.length ? ` En surnombre : ${surnombre.map((e) => `${effectorName(e)} (${displayPhone(e.phone)})`).join(', ')}.` : ''}
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </section>
  );
}
