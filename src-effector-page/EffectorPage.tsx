/**
 * The effector's phone page: requests arrive live (with a sound where the browser allows), are
 * accepted or declined in one tap; the accepted patient's identity is shown on demand and hidden
 * again after inactivity; the outcome form; the availability profile; colleagues' reports about
 * the doctor's own patients (when the patient consented).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import {
  DELAY_LABELS,
  NEED_LABELS,
  type AcceptedPatient,
  type EffectorPageState,
  type EffectorRequestOffer,
  type UnavailabilityRequest,
} from '../src-shared/schemas/effectors';
import { SEX_LABELS } from '../src-shared/domain/codes';
import { BOOKING_STATE_LABELS, MODALITIES, MODALITY_LABELS, VISIBILITIES, VISIBILITY_LABELS, type Modality, type Visibility } from '../src-shared/schemas/slots';
import { displayPhone } from '../src-shared/text/phone';
import { ApiError, EffectorSession, type Link } from './api';
import { useNow } from '../src-renderer/ui/use-now';
import { CodeSelect } from '../src-renderer/ui/CodeSelect';
import { dayAndTime, timeOfDay } from '../src-renderer/ui/labels';
import { DateField, DateTimeField, TimeField } from '../src-renderer/ui/DateFields';

const params = new URLSearchParams(location.search);
/** Identity hidden after this long without a touch (seconds in ?masquer=, 5 s at least). */
const HIDE_AFTER_MS = Math.max(5, Number(params.get('masquer')) || 120) * 1000;

/** CPTS visibility needs a choice of CPTS that this page does not offer yet. */
const PAGE_VISIBILITIES = VISIBILITIES.filter((v) => v !== 'cpts');


/** A short two-tone chime (Web Audio; silent when the browser has not allowed sound yet). */
function chime(ctx: AudioContext | null) {
  if (!ctx || ctx.state !== 'running') return;
  for (const [i, f] of [880, 1320].entries()) {
    const o = ctx.createOscillator();
    const g = ctx.createGain();
    o.frequency.value = f;
    g.gain.setValueAtTime(0.0001, ctx.currentTime + i * 0.18);
    g.gain.exponentialRampToValueAtTime(0.3, ctx.currentTime + i * 0.18 + 0.02);
    g.gain.exponentialRampToValueAtTime(0.0001, ctx.currentTime + i * 0.18 + 0.16);
    o.connect(g).connect(ctx.destination);
    o.start(ctx.currentTime + i * 0.18);
    o.stop(ctx.currentTime + i * 0.18 + 0.17);
  }
}

function Login({ onLogin, onState, onLink }: { onLogin(s: EffectorSession, audio: AudioContext | null): void; onState(s: EffectorPageState): void; onLink(l: Link): void }) {
  const [tenant, setTenant] = useState(params.get('centre') ?? '');
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="card login"
      onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        setProblem(null);
        // Created inside the tap: browsers let a page play sound after a user gesture only.
        let audio: AudioContext | null = null;
        try {
          audio = new AudioContext();
          void audio.resume();
        } catch {
          audio = null;
        }
        void EffectorSession.login(tenant.trim(), login.replace(/\s/g, ''), password, onState, onLink)
          .then((s) => onLogin(s, audio))
          .catch((error: Error) => setProblem(error.message))
          .finally(() => setBusy(false));
      }}
    >
      <h1>Permanence</h1>
      <p className="muted">Espace du médecin effecteur</p>
      {params.get('centre') ? null : (
        <label>
          Centre
          <input name="tenant" value={tenant} autoComplete="organization" onChange={(e) => setTenant(e.target.value)} />
        </label>
      )}
      <label>
        RPPS
        <input name="login" inputMode="numeric" autoComplete="username" value={login} onChange={(e) => setLogin(e.target.value)} />
      </label>
      <label>
        Mot de passe
        <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      <button type="submit" className="primary big" disabled={busy || !login || !password || !tenant}>
        Se connecter
      </button>
      <button
        type="button"
        className="big"
        disabled={busy || !tenant}
        onClick={() => {
          // Opened at the tap (a window opened later is taken for a pop-up); PSC's page goes in it.
          const popup = window.open('', 'psc');
          setBusy(true);
          setProblem(null);
          void EffectorSession.loginWithPsc(tenant.trim(), popup, onState, onLink)
            .then((s) => onLogin(s, null))
            .catch((error: Error) => setProblem(error.message))
            .finally(() => setBusy(false));
        }}
      >
        Pro Santé Connect (e-CPS)
      </button>
    </form>
  );
}

function Offer({ offer, session, onError }: { offer: EffectorRequestOffer; session: EffectorSession; onError(m: string): void }) {
  const [busy, setBusy] = useState(false);
  const answer = (what: 'accept' | 'decline') => {
    setBusy(true);
    void session
      .request('POST', `/api/effector/requests/${offer.id}/${what}`)
      .catch((e: ApiError) => onError(e.message))
      .finally(() => setBusy(false));
  };
  return (
    <article className={`card offer status-${offer.status}`} aria-label={`Demande ${NEED_LABELS[offer.need]}`}>
      <header>
        <strong>{NEED_LABELS[offer.need]}</strong> <span className="delay">{DELAY_LABELS[offer.delay]}</span>
      </header>
      <p>
        {SEX_LABELS[offer.sex]}, {offer.ageBand === 'inconnu' ? 'âge inconnu' : `${offer.ageBand} ans`} — {offer.reason}
      </p>
      <p className="muted">
        {offer.communeName} · reçue à {timeOfDay(offer.sentAt)}
        {offer.asTreatingDoctor ? ' · vous êtes son médecin traitant' : ''}
      </p>
      {offer.status === 'open' ? (
        <div className="buttons">
          <button type="button" className="primary big" disabled={busy} onClick={() => answer('accept')}>
            Accepter
          </button>
          <button type="button" className="big" disabled={busy} onClick={() => answer('decline')}>
            Décliner
          </button>
        </div>
      ) : (
        <p className="status" role="status">
          {offer.status === 'yours' ? 'Vous avez accepté cette demande.' : offer.status === 'declined' ? 'Vous avez décliné.' : 'Demande retirée : prise par un confrère ou annulée.'}
        </p>
      )}
    </article>
  );
}

function Patient({ offer, session, onError }: { offer: EffectorRequestOffer; session: EffectorSession; onError(m: string): void }) {
  const [patient, setPatient] = useState<AcceptedPatient | null>(null);
  const [form, setForm] = useState({ outcome: 'seen' as 'seen' | 'no_show', summary: '', prescription: '', testsRequested: '' });
  const [sent, setSent] = useState(false);
  const lastTouch = useRef(0);
  // Hidden again after a while without a touch: the identity leaves the screen and the memory.
  useEffect(() => {
    if (!patient) return;
    lastTouch.current = Date.now();
    const touch = () => (lastTouch.current = Date.now());
    const events = ['pointerdown', 'keydown', 'scroll'] as const;
    for (const e of events) window.addEventListener(e, touch, { passive: true });
    const timer = setInterval(() => {
      if (Date.now() - lastTouch.current >= HIDE_AFTER_MS) setPatient(null);
    }, 1000);
    const hide = () => document.visibilityState === 'hidden' && setPatient(null);
    document.addEventListener('visibilitychange', hide);
    return () => {
      for (const e of events) window.removeEventListener(e, touch);
      clearInterval(timer);
      document.removeEventListener('visibilitychange', hide);
    };
  }, [patient]);
  return (
    <article className="card patient" aria-label="Patient accepté">
      <header>
        <strong>{NEED_LABELS[offer.need]}</strong> — {offer.communeName} — acceptée
      </header>
      <p className="appointment" role="status">
        {offer.appointment ? (
          <>
            Rendez-vous : <strong>{dayAndTime(offer.appointment.at)}</strong> — {offer.appointment.place}
          </>
        ) : (
          'Rendez-vous à confirmer par le régulateur.'
        )}
      </p>
      {patient ? (
        <dl className="identity" aria-label="Identité du patient">
          <dt>Patient</dt>
          <dd className="name">{patient.patientName}</dd>
          <dt>Âge</dt>
          <dd>{patient.birthDate ? `${patient.birthDate.split('-').reverse().join('/')}${patient.ageYears !== null ? ` (${patient.ageYears} ans)` : ''}` : patient.ageYears !== null ? `${patient.ageYears} ans` : 'inconnu'}</dd>
          <dt>Rappel</dt>
          <dd>{patient.callbackPhone ? <a href={`tel:${patient.callbackPhone}`}>{displayPhone(patient.callbackPhone)}</a> : '—'}</dd>
          <dt>Adresse</dt>
          <dd>{[patient.address, patient.communeName].filter(Boolean).join(', ') || '—'}</dd>
          {patient.accessNotes ? (
            <>
              <dt>Accès</dt>
              <dd>{patient.accessNotes}</dd>
            </>
          ) : null}
          <dt>Motif</dt>
          <dd>{patient.reason}</dd>
          <dt>Dossier</dt>
          <dd>{patient.caseReference}</dd>
        </dl>
      ) : (
        <button
          type="button"
          className="big"
          onClick={() => {
            lastTouch.current = Date.now();
            void session
              .request<AcceptedPatient>('GET', `/api/effector/requests/${offer.id}/patient`)
              .then(setPatient)
              .catch((e: ApiError) => onError(e.message));
          }}
        >
          Afficher l’identité et le numéro
        </button>
      )}
      {sent ? (
        <p className="status" role="status">
          Compte rendu enregistré.
        </p>
      ) : (
        <form
          className="outcome"
          onSubmit={(e) => {
            e.preventDefault();
            void session
              .request('POST', `/api/effector/requests/${offer.id}/outcome`, form)
              .then(() => setSent(true))
              .catch((err: ApiError) => onError(err.message));
          }}
        >
          <fieldset>
            <legend>Compte rendu</legend>
            <label className="radio">
              <input type="radio" name="outcome" checked={form.outcome === 'seen'} onChange={() => setForm((f) => ({ ...f, outcome: 'seen' }))} /> Patient vu
            </label>
            <label className="radio">
              <input type="radio" name="outcome" checked={form.outcome === 'no_show'} onChange={() => setForm((f) => ({ ...f, outcome: 'no_show' }))} /> Patient absent
            </label>
            <label>
              Synthèse
              <textarea name="summary" rows={3} value={form.summary} onChange={(e) => setForm((f) => ({ ...f, summary: e.target.value }))} />
            </label>
            <label>
              Prescription
              <textarea name="prescription" rows={2} value={form.prescription} onChange={(e) => setForm((f) => ({ ...f, prescription: e.target.value }))} />
            </label>
            <label>
              Examens demandés
              <textarea name="testsRequested" rows={2} value={form.testsRequested} onChange={(e) => setForm((f) => ({ ...f, testsRequested: e.target.value }))} />
            </label>
            <button type="submit" className="primary big">
              Enregistrer le compte rendu
            </button>
          </fieldset>
        </form>
      )}
    </article>
  );
}

function Availability({ state, session, onError }: { state: EffectorPageState; session: EffectorSession; onError(m: string): void }) {
  const p = state.profile;
  const [placeId, setPlaceId] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const now = useNow(30_000);
  const add = (req: UnavailabilityRequest) => void session.request('POST', '/api/effector/unavailability', req).catch((e: ApiError) => onError(e.message));
  const place = placeId === '' ? null : placeId;
  const current = p.unavailable.filter((u) => u.to === null || u.to > now);
  return (
    <section className="card" aria-label="Ma disponibilité">
      <h2>Ma disponibilité</h2>
      <label className="toggle">
        <input type="checkbox" name="visits" checked={p.visits} onChange={(e) => void session.request('PUT', '/api/effector/availability', { visits: e.target.checked, consultations: p.consultations }).catch((er: ApiError) => onError(er.message))} />
        J’accepte des visites à domicile
      </label>
      <label className="toggle">
        <input type="checkbox" name="consultations" checked={p.consultations} onChange={(e) => void session.request('PUT', '/api/effector/availability', { visits: p.visits, consultations: e.target.checked }).catch((er: ApiError) => onError(er.message))} />
        J’accepte des consultations
      </label>
      {state.effector.places.length > 1 ? (
        <label>
          Lieu concerné
          <select name="placeId" value={placeId} onChange={(e) => setPlaceId(e.target.value)}>
            <option value="">Tous mes lieux</option>
            {state.effector.places.map((pl) => (
              <option key={pl.id} value={pl.id}>
                {pl.name}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <div className="buttons">
        <button type="button" className="big" onClick={() => add({ preset: '24h', placeId: place })}>
          Indisponible 24 h
        </button>
        <button type="button" className="big" onClick={() => add({ preset: 'week', placeId: place })}>
          Indisponible une semaine
        </button>
      </div>
      <form
        className="range"
        onSubmit={(e) => {
          e.preventDefault();
          const f = new Date(from).getTime();
          const t = new Date(to).getTime();
          if (!Number.isFinite(f) || !Number.isFinite(t)) return onError('Indiquez le début et la fin.');
          add({ preset: 'range', placeId: place, from: f, to: t });
        }}
      >
        <DateTimeField label="Du" name="from" value={from} onChange={setFrom} />
        <DateTimeField label="Au" name="to" value={to} onChange={setTo} />
        <button type="submit">Ajouter la période</button>
      </form>
      <ul className="periods">
        {current.map((u) => (
          <li key={u.id}>
            Indisponible {u.from > now + 60_000 ? `du ${dayAndTime(u.from)} ` : ''}
            {u.to === null ? 'jusqu’à nouvel ordre' : `jusqu’au ${dayAndTime(u.to)}`}
            {u.placeId ? ` (${state.effector.places.find((x) => x.id === u.placeId)?.name ?? u.placeId})` : ''}{' '}
            <button type="button" className="link" onClick={() => void session.request('DELETE', `/api/effector/unavailability/${u.id}`).catch((e: ApiError) => onError(e.message))}>
              Supprimer
            </button>
          </li>
        ))}
        {current.length === 0 ? <li className="muted">Aucune indisponibilité : vous recevez les demandes.</li> : null}
      </ul>
    </section>
  );
}


function Slots({ state, session, onError }: { state: EffectorPageState; session: EffectorSession; onError(m: string): void }) {
  const [kind, setKind] = useState<'single' | 'range'>('range');
  const [day, setDay] = useState('');
  const [from, setFrom] = useState('18:00');
  const [to, setTo] = useState('20:00');
  const [capacity, setCapacity] = useState(4);
  const [modality, setModality] = useState<Modality>('cabinet');
  const [placeId, setPlaceId] = useState(state.effector.places[0]?.id ?? '');
  const [visibility, setVisibility] = useState<Visibility>('pro');
  const [repeatWeeks, setRepeatWeeks] = useState(0);
  const [published, setPublished] = useState<string | null>(null);
  const bookingsOf = (slotId: string) => state.bookings.filter((b) => b.slotId === slotId && b.state !== 'cancelled');
  return (
    <section aria-label="Mes créneaux">
      {state.slots.map((sl) => (
        <article key={sl.id} className={`card slot${sl.cancelled ? ' cancelled' : ''}`} aria-label={`Créneau ${dayAndTime(sl.start)}`}>
          <header>
            <strong>
              {dayAndTime(sl.start)} – {timeOfDay(sl.end)}
            </strong>{' '}
            {MODALITY_LABELS[sl.modality]}
            {sl.placeName ? ` · ${sl.placeName}` : ''}
          </header>
          <p className="muted">
            {sl.cancelled ? 'Retiré' : `${sl.taken} place${sl.taken > 1 ? 's' : ''} prise${sl.taken > 1 ? 's' : ''} sur ${sl.capacity}`} · {VISIBILITY_LABELS[sl.visibility]}
          </p>
          <ul className="bookings">
            {bookingsOf(sl.id).map((b) => (
              <li key={b.id}>
                <strong>{b.patient?.name ?? 'Patient'}</strong> — {b.reason} ({b.organisation === 'regulation' ? 'régulation' : b.organisation}, {b.bookedBy}) — {BOOKING_STATE_LABELS[b.state]}
                {b.state === 'booked' ? (
                  <span className="buttons">
                    <button type="button" onClick={() => void session.request('POST', `/api/effector/bookings/${b.id}/state`, { state: 'fulfilled' }).catch((e: ApiError) => onError(e.message))}>
                      Vu
                    </button>
                    <button type="button" onClick={() => void session.request('POST', `/api/effector/bookings/${b.id}/state`, { state: 'no_show' }).catch((e: ApiError) => onError(e.message))}>
                      Absent
                    </button>
                  </span>
                ) : null}
              </li>
            ))}
          </ul>
          {!sl.cancelled ? (
            <button type="button" className="link" onClick={() => void session.request('DELETE', `/api/effector/slots/${sl.id}`).catch((e: ApiError) => onError(e.message))}>
              Retirer ce créneau
            </button>
          ) : null}
        </article>
      ))}
      {state.slots.length === 0 ? <p className="muted empty">Aucun créneau à venir.</p> : null}
      <details className="card publish" open={state.slots.length === 0}>
        <summary>Publier des créneaux</summary>
      <form
        aria-label="Publier des créneaux"
        onSubmit={(e) => {
          e.preventDefault();
          const start = new Date(`${day}T${from}`).getTime();
          let end = new Date(`${day}T${to}`).getTime();
          if (!Number.isFinite(start) || !Number.isFinite(end)) return onError('Indiquez le jour et les heures.');
          if (end <= start) end += 24 * 3600_000; // a range over midnight
          void session
            .request<{ slots: unknown[] }>('POST', '/api/effector/slots', {
              kind,
              start,
              end,
              capacity: kind === 'single' ? 1 : capacity,
              modality,
              placeId: modality === 'cabinet' ? placeId : null,
              visibility,
              cpts: [],
              repeatWeeks,
            })
            .then((r) => setPublished(`${r.slots.length} publication${r.slots.length > 1 ? 's' : ''} enregistrée${r.slots.length > 1 ? 's' : ''}.`))
            .catch((er: ApiError) => onError(er.message));
        }}
      >
        <label className="radio">
          <input type="radio" name="kind" checked={kind === 'range'} onChange={() => setKind('range')} /> Plage horaire (plusieurs patients)
        </label>
        <label className="radio">
          <input type="radio" name="kind" checked={kind === 'single'} onChange={() => setKind('single')} /> Créneau unique (un patient)
        </label>
        <DateField label="Jour" name="day" value={day} onChange={setDay} />
        <div className="range">
          <TimeField label="Début" name="fromTime" value={from} onChange={setFrom} />
          <TimeField label="Fin" name="toTime" value={to} onChange={setTo} />
        </div>
        {kind === 'range' ? (
          <label>
            Nombre de patients
            <input type="number" name="capacity" min={1} max={50} value={capacity} onChange={(e) => setCapacity(Number(e.target.value))} />
          </label>
        ) : null}
        <CodeSelect label="Modalité" name="modality" value={modality} codes={MODALITIES} labels={MODALITY_LABELS} onChange={(m) => m && setModality(m)} />
        {modality === 'cabinet' ? (
          <label>
            Lieu
            <select name="placeId" value={placeId} onChange={(e) => setPlaceId(e.target.value)}>
              {state.effector.places.map((pl) => (
                <option key={pl.id} value={pl.id}>
                  {pl.name}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <CodeSelect label="Visible par" name="visibility" value={visibility} codes={PAGE_VISIBILITIES} labels={VISIBILITY_LABELS} onChange={(v) => v && setVisibility(v)} />
        <label>
          Répéter chaque semaine pendant
          <select name="repeatWeeks" value={repeatWeeks} onChange={(e) => setRepeatWeeks(Number(e.target.value))}>
            {[0, 1, 3, 7, 11].map((n) => (
              <option key={n} value={n}>
                {n === 0 ? 'non (une seule fois)' : `${n + 1} semaines`}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary big" disabled={!day}>
          Publier
        </button>
      </form>
      </details>
      {published ? (
        <p className="status" role="status">
          {published}
        </p>
      ) : null}
    </section>
  );
}

type Tab = 'requests' | 'slots' | 'availability' | 'reports';

export function EffectorPage() {
  const [session, setSession] = useState<EffectorSession | null>(null);
  const [state, setState] = useState<EffectorPageState | null>(null);
  const [link, setLink] = useState<Link>('connecting');
  const [tab, setTab] = useState<Tab>('requests');
  const [problem, setProblem] = useState<string | null>(null);
  const audio = useRef<AudioContext | null>(null);
  const seen = useRef(new Set<string>());

  const onState = useCallback((s: EffectorPageState) => {
    const fresh = s.offers.filter((o) => o.status === 'open' && !seen.current.has(o.id));
    for (const o of s.offers) seen.current.add(o.id);
    if (fresh.length) chime(audio.current);
    setState(s);
  }, []);


  if (!session) {
    return (
      <main className="effector-page">
        <Login
          onState={onState}
          onLink={setLink}
          onLogin={(s, a) => {
            audio.current = a;
            setSession(s);
          }}
        />
      </main>
    );
  }
  const open = state?.offers.filter((o) => o.status === 'open') ?? [];
  const mine = state?.offers.filter((o) => o.status === 'yours') ?? [];
  const past = state?.offers.filter((o) => o.status === 'withdrawn' || o.status === 'declined') ?? [];
  const onError = (m: string) => setProblem(m);
  return (
    <main className="effector-page">
      <header className="top">
        <strong>{state?.effector.name ?? session.name}</strong>
        <span className={`link-state ${link}`} role="status">
          {link === 'online' ? 'En ligne' : link === 'connecting' ? 'Connexion…' : link === 'ended' ? 'Session terminée — reconnectez-vous' : 'Hors ligne — reconnexion'}
        </span>
        <button
          type="button"
          className="link"
          onClick={() => {
            session.logout();
            setSession(null);
            setState(null);
            seen.current.clear();
          }}
        >
          Se déconnecter
        </button>
      </header>
      <nav className="tabs" role="tablist">
        {(
          [
            ['requests', `Demandes${open.length ? ` (${open.length})` : ''}`],
            ['slots', `Créneaux${state?.bookings.some((b) => b.state === 'booked') ? ` (${state.bookings.filter((b) => b.state === 'booked').length})` : ''}`],
            ['availability', 'Dispo.'],
            ['reports', `Mes patients${state?.reports.length || state?.notices.length ? ` (${(state?.reports.length ?? 0) + (state?.notices.length ?? 0)})` : ''}`],
          ] as const
        ).map(([t, label]) => (
          <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? 'active' : ''} onClick={() => setTab(t)}>
            {label}
          </button>
        ))}
      </nav>
      {problem ? (
        <p className="error banner" role="alert" onClick={() => setProblem(null)}>
          {problem}
        </p>
      ) : null}
      {!state ? <p className="muted">Chargement…</p> : null}
      {state && tab === 'requests' ? (
        <>
          {mine.map((o) => (
            <Patient key={o.id} offer={o} session={session} onError={onError} />
          ))}
          {open.map((o) => (
            <Offer key={o.id} offer={o} session={session} onError={onError} />
          ))}
          {open.length === 0 && mine.length === 0 ? <p className="muted empty">Aucune demande en attente. Les nouvelles demandes s’affichent ici, avec un signal sonore.</p> : null}
          {past.length ? (
            <details>
              <summary>Demandes passées ({past.length})</summary>
              {past.map((o) => (
                <Offer key={o.id} offer={o} session={session} onError={onError} />
              ))}
            </details>
          ) : null}
        </>
      ) : null}
      {state && tab === 'slots' ? <Slots state={state} session={session} onError={onError} /> : null}
      {state && tab === 'availability' ? <Availability state={state} session={session} onError={onError} /> : null}
      {state && tab === 'reports' ? (
        <section aria-label="Mes patients">
          {state.notices.map((n) => (
            <article key={`n-${n.requestId}`} className="card notice">
              <p>{n.text}</p>
              <p className="muted">{dayAndTime(n.at)}</p>
            </article>
          ))}
          {state.reports.map((r) => (
            <article key={`r-${r.requestId}`} className="card report" aria-label="Compte rendu d’un confrère">
              <header>
                <strong>{r.patientName}</strong> — vu par {r.effectorName}, {dayAndTime(r.at)}
              </header>
              <p>{r.outcome.outcome === 'seen' ? 'Patient vu' : 'Patient absent'}</p>
              {r.outcome.summary ? <p>Synthèse : {r.outcome.summary}</p> : null}
              {r.outcome.prescription ? <p>Prescription : {r.outcome.prescription}</p> : null}
              {r.outcome.testsRequested ? <p>Examens : {r.outcome.testsRequested}</p> : null}
            </article>
          ))}
          {state.notices.length + state.reports.length === 0 ? <p className="muted empty">Rien de nouveau sur vos patients.</p> : null}
        </section>
      ) : null}
    </main>
  );
}
