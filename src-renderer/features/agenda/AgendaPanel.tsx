/**
 * The shared agenda for regulators and partner organisations: free places by commune or sector,
 * modality and window, nearest first; one click holds a place (a few minutes) while the patient
 * is filled in (from the open case when there is one); the result is refreshed live when anyone
 * books or publishes; surnombre with doctors who accept it when nothing is free.
 */
import { useCallback, useEffect, useState } from 'react';
import { DELAY_CODES, DELAY_LABELS, type DelayCode } from '../../../src-shared/domain/codes';
import { CodeSelect } from '../../ui/CodeSelect';
import { MODALITIES, MODALITY_LABELS, SEARCH_WINDOWS, SEARCH_WINDOW_LABELS, type Booking, type Modality, type SearchWindow, type Slot } from '../../../src-shared/schemas/slots';
import { effectorName } from '../../../src-shared/schemas/effectors';
import { canonicalPhone, displayPhone } from '../../../src-shared/text/phone';
import { useApp } from '../../app/context';
import { dayAndTime, timeOfDay } from '../../ui/labels';
import { DateTimeField } from '../../ui/DateFields';

const NEARNESS = ['secteur du patient', 'secteur voisin', 'plus loin'];

export function AgendaPanel() {
  const bridge = useApp((s) => s.bridge);
  const current = useApp((s) => s.current);
  const directory = useApp((s) => s.directory);
  const setMainView = useApp((s) => s.setMainView);
  const command = useApp((s) => s.command);
  const me = useApp((s) => s.session?.actor);
  // The physician regulating the open case may turn the booking into the case's decision.
  const canDecide = !!current && me?.role === 'physician' && current.status === 'under_regulation' && current.takenBy?.userId === me.userId;
  const [sectorCode, setSectorCode] = useState<string>(current?.fields.location?.sectorId ?? '');
  const [modality, setModality] = useState<Modality | ''>('');
  const [window, setWindow] = useState<SearchWindow>('48h');
  const [slots, setSlots] = useState<Slot[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [held, setHeld] = useState<{ booking: Booking; slot: Slot } | null>(null);
  /** Booking beyond published slots with this doctor, at a time chosen here. */
  const [extra, setExtra] = useState<{ effectorId: string; name: string } | null>(null);
  const [extraAt, setExtraAt] = useState('');
  const [done, setDone] = useState<Booking | null>(null);
  const [doneSlot, setDoneSlot] = useState<Slot | null>(null);
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
        <CodeSelect label="Modalité" name="modality" value={modality || undefined} codes={MODALITIES} labels={MODALITY_LABELS} placeholder="Toutes" onChange={(m) => setModality(m ?? '')} />
        <CodeSelect label="Quand" name="window" value={window} codes={SEARCH_WINDOWS} labels={SEARCH_WINDOW_LABELS} onChange={(w) => w && setWindow(w)} />
        <button type="submit">Chercher</button>
      </form>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {done ? (
        <p className="ok" role="status">
          Réservé : {done.effectorName}, {dayAndTime(done.at)} — {done.patient?.name}.{' '}
          {canDecide && done.caseId === current?.id ? (
            <button
              type="button"
              onClick={() =>
                void command({
                  type: 'decide',
                  decision: {
                    code: done.slotId && doneSlot?.modality === 'home_visit' ? 'HOME_VISIT' : 'CONSULTATION',
                    effector: done.effectorName,
                    effectorId: done.effectorId,
                    appointmentAt: done.at,
                    place: doneSlot?.placeName ? `${doneSlot.placeName}, ${doneSlot.address ?? ''}`.replace(/, $/, '') : done.surnombre ? 'En surnombre' : MODALITY_LABELS[doneSlot?.modality ?? 'cabinet'],
                  },
                }).then((ok) => ok && setMainView('work'))
              }
            >
              Enregistrer comme décision du dossier
            </button>
          ) : null}
        </p>
      ) : null}
      {held || extra ? (
        <form
          className="booking-form"
          aria-label="Confirmer la réservation"
          onSubmit={(e) => {
            e.preventDefault();
            const canonical = phone.trim() ? canonicalPhone(phone) : null;
            if (phone.trim() && !canonical) return setProblem('Numéro de téléphone invalide.');
            const common = { caseId: current?.id ?? null, reason: reason.trim(), delay, patient: { name: patientName.trim(), phone: canonical, birthDate: p?.birthDate ?? null } };
            const at = new Date(extraAt).getTime();
            if (!held && !Number.isFinite(at)) return setProblem('Indiquez l’heure du rendez-vous en surnombre.');
            void (held ? bridge.invoke('agenda.confirm', { bookingId: held.booking.id, ...common }) : bridge.invoke('agenda.surnombre', { effectorId: extra!.effectorId, at, ...common })).then((r) => {
              if (!r.ok) return setProblem(r.error.message);
              setDone(r.value);
              setDoneSlot(held?.slot ?? null);
              setHeld(null);
              setExtra(null);
            });
          }}
        >
          {held ? (
            <p>
              Option posée sur <strong>{held.slot.effectorName}</strong>, {dayAndTime(held.slot.start)} ({MODALITY_LABELS[held.slot.modality]}
              {held.slot.placeName ? `, ${held.slot.placeName}` : ''}) jusqu’à {timeOfDay(held.booking.heldUntil!)}.
            </p>
          ) : (
            <p>
              En surnombre avec <strong>{extra!.name}</strong> (en sus de ses créneaux publiés).{' '}
              <DateTimeField label="Heure du rendez-vous" name="surnombreAt" value={extraAt} onChange={setExtraAt} />
            </p>
          )}
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
            <CodeSelect label="Délai souhaité" name="bookingDelay" value={delay} codes={DELAY_CODES} labels={DELAY_LABELS} onChange={(d) => d && setDelay(d)} />
          </div>
          <div className="actions">
            <button
              type="button"
              onClick={() => (held ? void bridge.invoke('agenda.setState', { bookingId: held.booking.id, state: 'cancelled' }).then(() => setHeld(null)) : setExtra(null))}
            >
              {held ? 'Lever l’option' : 'Annuler'}
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
                {dayAndTime(s.start)} – {timeOfDay(s.end)}
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
                  disabled={!!held || !!extra}
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
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      {slots && !slots.some((s) => s.nearness === 0) && surnombre.length ? (
        <p className="surnombre" aria-label="Surnombre">
          Aucune place libre dans le secteur. Médecins qui acceptent un patient en surnombre :{' '}
          {surnombre.map((e) => (
            <button key={e.id} type="button" disabled={!!held || !!extra} onClick={() => setExtra({ effectorId: e.id, name: effectorName(e) })}>
              {effectorName(e)} ({displayPhone(e.phone)})
            </button>
          ))}
        </p>
      ) : null}
    </section>
  );
}
