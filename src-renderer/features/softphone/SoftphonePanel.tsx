/**
 * The softphone: registration state always visible, the incoming call with its number and line,
 * answer / hang up / hold / mute / keypad / call timer, and dialling out. Every action has a
 * keyboard shortcut (Alt+D, Alt+H, Alt+K, Alt+M) shown on the buttons and in the shortcut bar.
 */
import { useEffect, useLayoutEffect, useState } from 'react';
import { LINE_LABELS } from '../../../src-shared/domain/codes';
import { useApp } from '../../app/context';
import { useNow } from '../../ui/use-now';
import { displayNumber, duration } from '../../ui/labels';
import type { PhoneView } from './sip-phone';
import { AGENT_STATE_LABELS, CHOSEN_PAUSE_REASONS, PAUSE_REASON_LABELS, type PauseReason } from '../../../src-shared/domain/agent-state';

const KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'];

const elapsed = (from: number, now: number) => duration(now - from);
const shown = displayNumber;

function RegistrationLine({ phone, now, demo }: { phone: PhoneView; now: number; demo: boolean }) {
  switch (phone.registration) {
    case 'registered':
      return (
        <p className="phone-state phone-on" role="status">
          <span aria-hidden="true">●</span> Téléphone prêt <span className="muted small">({phone.account})</span>
        </p>
      );
    case 'connecting':
      return (
        <p className="phone-state" role="status">
          <span aria-hidden="true">●</span> Connexion au serveur téléphonique…
        </p>
      );
    case 'unconfigured':
      return (
        <p className="phone-state phone-off" role="status">
          <span aria-hidden="true">●</span> Téléphone non configuré
        </p>
      );
    default:
      if (phone.registration === 'down' && !phone.everRegistered) {
        // Never reached since this session started: the telephony is not running (a demo, a
        // workstation set up before its SIP server). Said calmly, with what to do meanwhile.
        return (
          <p className="phone-state phone-off" role="status">
            <span aria-hidden="true">●</span> Téléphonie non démarrée{demo ? ' (démo)' : ''}
            <span className="muted small">
              {' '}
              — {phone.problem} Les appels se prennent sur le téléphone habituel ; <kbd>Alt</kbd>+<kbd>N</kbd> ouvre un dossier.
              {demo ? ' Pour la téléphonie de démonstration : npm run services.' : ''}
            </span>
          </p>
        );
      }
      return (
        <p className="phone-state phone-down" role="alert">
          <span aria-hidden="true">●</span> Téléphone hors service — {phone.problem}
          {phone.retryAt ? ` Nouvel essai dans ${Math.max(0, Math.ceil((phone.retryAt - now) / 1000))} s.` : ''}
        </p>
      );
  }
}

/** The agent's own state: chosen here (available, a pause with its reason, offline); busy comes from calls. */
function AgentStateField() {
  const agent = useApp((s) => s.agent);
  const setAgent = useApp((s) => s.setAgent);
  const now = useNow(1000);
  const value = agent.state === 'pause' ? `pause:${agent.reason}` : agent.state;
  return (
    <div className={`agent-state agent-${agent.state}`}>
      <label>
        Mon état
        <select
          name="agentState"
          value={agent.state === 'busy' ? 'busy' : value}
          onChange={(e) => {
            const v = e.target.value;
            if (v.startsWith('pause:')) setAgent({ type: 'pause', reason: v.slice(6) as PauseReason });
            else if (v === 'available' || v === 'offline') setAgent({ type: 'choose', state: v });
          }}
        >
          {agent.state === 'busy' ? <option value="busy">Occupé (appel ou fin d’appel)</option> : null}
          <option value="available">{AGENT_STATE_LABELS.available}</option>
          {agent.reason === 'unanswered' ? <option value="pause:unanswered">{PAUSE_REASON_LABELS.unanswered}</option> : null}
          {CHOSEN_PAUSE_REASONS.map((r) => (
            <option key={r} value={`pause:${r}`}>
              {AGENT_STATE_LABELS.pause} — {PAUSE_REASON_LABELS[r]}
            </option>
          ))}
          <option value="offline">{AGENT_STATE_LABELS.offline}</option>
        </select>
      </label>
      <span className="muted small">depuis {duration(now - agent.since)}</span>
      {agent.reason === 'unanswered' ? (
        <p className="agent-absent-reason" role="alert">
          Un appel vous a été présenté et n’a pas été décroché : vous ne recevez plus d’appels. Repassez « Disponible » pour en recevoir.
        </p>
      ) : null}
    </div>
  );
}

/** Microphone, headset and ringtone outputs, and auto-answer: the desk's own settings. */
function AudioSettingsField() {
  const audio = useApp((s) => s.audio);
  const setAudio = useApp((s) => s.setAudio);
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  useEffect(() => {
    const md = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
    if (!md?.enumerateDevices) return;
    const load = () => void md.enumerateDevices().then(setDevices, () => {});
    load();
    md.addEventListener?.('devicechange', load);
    return () => md.removeEventListener?.('devicechange', load);
  }, []);
  const inputs = devices.filter((d) => d.kind === 'audioinput');
  const outputs = devices.filter((d) => d.kind === 'audiooutput');
  const label = (d: MediaDeviceInfo, i: number) => d.label || `${d.kind === 'audioinput' ? 'Micro' : 'Sortie'} ${i + 1}`;
  const select = (name: string, value: string | null, list: MediaDeviceInfo[], onChange: (id: string | null) => void) => (
    <label>
      {name}
      <select value={value ?? ''} onChange={(e) => onChange(e.target.value || null)}>
        <option value="">Par défaut du système</option>
        {list.map((d, i) => (
          <option key={d.deviceId || i} value={d.deviceId}>
            {label(d, i)}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <details className="audio-settings">
      <summary>Réglages audio{audio.autoAnswer ? ' — décroché automatique' : ''}</summary>
      {select('Microphone', audio.microphoneId, inputs, (microphoneId) => setAudio({ microphoneId }))}
      {select('Casque / haut-parleur de l’appel', audio.speakerId, outputs, (speakerId) => setAudio({ speakerId }))}
      {select('Sonnerie', audio.ringerId, outputs, (ringerId) => setAudio({ ringerId }))}
      {outputs.length === 0 ? <p className="muted small">Ce navigateur ne permet pas de choisir la sortie audio : celle du système est utilisée.</p> : null}
      <label className="checkbox">
        <input type="checkbox" checked={audio.autoAnswer} onChange={(e) => setAudio({ autoAnswer: e.target.checked })} />
        Décroché automatique après une sonnerie (casque)
      </label>
    </details>
  );
}

export function SoftphonePanel() {
  const phone = useApp((s) => s.phone);
  // The demo center (npm start) says so when its telephony is not running.
  const demoCenter = useApp((s) => s.session?.tenant === 'demo');
  const answer = useApp((s) => s.phoneAnswer);
  const hangup = useApp((s) => s.phoneHangup);
  const hold = useApp((s) => s.phoneHold);
  const mute = useApp((s) => s.phoneMute);
  const dtmf = useApp((s) => s.phoneDtmf);
  const dial = useApp((s) => s.phoneCall);
  const transfer = useApp((s) => s.phoneTransfer);
  const swap = useApp((s) => s.phoneSwap);
  const consult = useApp((s) => s.phoneConsult);
  const completeTransfer = useApp((s) => s.phoneCompleteTransfer);
  const conference = useApp((s) => s.phoneConference);
  const [transferTo, setTransferTo] = useState('');
  const now = useNow(1000);
  const [number, setNumber] = useState('');
  const call = phone.call && phone.call.state !== 'ended' ? phone.call : null;
  const ringingId = call?.state === 'ringing' ? call.callId : null;
  // INVITE received → the incoming call committed to the page (devtools, benchmark).
  useLayoutEffect(() => {
    if (!ringingId || performance.getEntriesByName('sip-invite-received', 'mark').length === 0) return;
    performance.measure('incoming-shown', 'sip-invite-received');
    performance.clearMarks('sip-invite-received');
  }, [ringingId]);
  const ended = phone.call?.state === 'ended' ? phone.call : null;

  return (
    <section className="panel softphone" aria-label="Téléphonie">
      <h2>Téléphonie</h2>
      <AgentStateField />
      <RegistrationLine phone={phone} now={now} demo={demoCenter} />
      {phone.registration !== 'unconfigured' ? <AudioSettingsField /> : null}
      {phone.registration === 'unconfigured' ? (
        <p className="muted small">
          Aucun compte téléphonique pour cet utilisateur : les appels se prennent sur le téléphone habituel et le dossier s’ouvre avec{' '}
          <kbd>Alt</kbd>+<kbd>N</kbd>.
        </p>
      ) : null}

      {call?.state === 'ringing' ? (
        <div className="incoming" role="alert" aria-label="Appel entrant">
          <p className="incoming-title">Appel entrant — {LINE_LABELS[call.line]}</p>
          <p className="incoming-number mono">{shown(call.remote)}</p>
          <div className="actions">
            <button type="button" className="primary" onClick={() => void answer()}>
              Décrocher <kbd>Alt+D</kbd>
            </button>
            <button type="button" onClick={() => void hangup()}>
              Refuser <kbd>Alt+H</kbd>
            </button>
          </div>
        </div>
      ) : null}

      {phone.others.map((o) =>
        o.state === 'ringing' ? (
          <div key={o.callId} className="incoming second-call" role="alert" aria-label="Deuxième appel">
            <p className="incoming-title">Deuxième appel — {LINE_LABELS[o.line]}</p>
            <p className="incoming-number mono">{shown(o.remote)}</p>
            <div className="actions">
              <button type="button" className="primary" onClick={() => void answer(o.callId)}>
                Décrocher (l’appel en cours passe en attente)
              </button>
              <button type="button" onClick={() => void hangup(o.callId)}>
                Refuser
              </button>
            </div>
          </div>
        ) : (
          <div key={o.callId} className="other-line" role="group" aria-label="Autre ligne">
            <p>
              Autre ligne : <strong className="mono">{shown(o.remote)}</strong>
              {phone.conference ? ' — en conférence' : o.held ? ' — en attente' : o.state === 'calling' ? ' — sonnerie…' : ''}
              {o.state === 'active' ? <span className="mono"> {elapsed(o.answeredAt ?? o.arrivedAt, now)}</span> : null}
            </p>
            <div className="actions">
              {!phone.conference && o.state === 'active' ? (
                <button type="button" onClick={() => void swap()}>
                  Basculer sur cette ligne
                </button>
              ) : null}
              <button type="button" onClick={() => void hangup(o.callId)}>
                Raccrocher cette ligne
              </button>
            </div>
          </div>
        ),
      )}

      {call && call.state !== 'ringing' ? (
        <div className="in-call" aria-label="Appel en cours">
          <p>
            {call.direction === 'in' ? 'Appel de' : 'Appel vers'} <strong className="mono">{shown(call.remote)}</strong>
            {call.direction === 'in' ? ` (${LINE_LABELS[call.line]})` : ''}
          </p>
          <p className="call-timer mono" role="timer" aria-label="Durée de l’appel">
            {call.state === 'calling' ? 'Sonnerie…' : elapsed(call.answeredAt ?? call.arrivedAt, now)}
            {call.held ? ' — en attente' : ''}
            {call.muted ? ' — micro coupé' : ''}
          </p>
          <div className="actions wrap">
            <button type="button" disabled={call.state !== 'active'} aria-pressed={call.held} onClick={() => void hold(!call.held)}>
              {call.held ? 'Reprendre' : 'Mettre en attente'} <kbd>Alt+K</kbd>
            </button>
            <button type="button" disabled={call.state !== 'active'} aria-pressed={call.muted} onClick={() => mute(!call.muted)}>
              {call.muted ? 'Rétablir le micro' : 'Couper le micro'} <kbd>Alt+M</kbd>
            </button>
            <button type="button" className="danger" onClick={() => void hangup()}>
              Raccrocher <kbd>Alt+H</kbd>
            </button>
          </div>
          <form
            className="transfer"
            onSubmit={(e) => {
              e.preventDefault();
              if (transferTo.trim()) void transfer(transferTo.trim());
            }}
          >
            <label>
              Transférer vers (SAMU, collègue)
              <input name="transfer" value={transferTo} disabled={call.state !== 'active'} onChange={(e) => setTransferTo(e.target.value)} />
            </label>
            <button type="submit" disabled={call.state !== 'active' || !transferTo.trim()} title="Transfert direct, sans présenter l’appel">
              Transférer
            </button>
            <button
              type="button"
              disabled={call.state !== 'active' || !transferTo.trim() || phone.others.length > 0}
              onClick={() => void consult(transferTo.trim())}
              title="L’appelant patiente en attente pendant que vous présentez le cas"
            >
              Appeler d’abord
            </button>
            {call.transferredTo ? <span className="small">Transfert vers {call.transferredTo}…</span> : null}
          </form>
          {call.consultFor && call.state === 'active' ? (
            <div className="actions consult" role="group" aria-label="Transfert présenté">
              <button type="button" className="primary" onClick={() => void completeTransfer()}>
                Transférer l’appelant à {shown(call.remote)}
              </button>
              {!phone.conference ? (
                <button type="button" onClick={() => void conference()}>
                  Conférence à trois
                </button>
              ) : null}
            </div>
          ) : null}
          {phone.conference ? (
            <p className="conference" role="status">
              Conférence à trois en cours
            </p>
          ) : null}
          {call.tonesReceived ? <p className="small">Touches reçues : <span className="mono">{call.tonesReceived}</span></p> : null}
          <div className="keypad" role="group" aria-label="Clavier de numérotation (DTMF)">
            {KEYS.map((k) => (
              <button key={k} type="button" disabled={call.state !== 'active'} onClick={() => void dtmf(k)}>
                {k}
              </button>
            ))}
          </div>
        </div>
      ) : null}

      {ended && !call ? (
        <p className="muted small" role="status">
          Dernier appel : {shown(ended.remote)}, {ended.answeredAt && ended.endedAt ? `durée ${elapsed(ended.answeredAt, ended.endedAt)}` : 'sans réponse'}.
        </p>
      ) : null}

      {phone.registration === 'registered' && !call ? (
        <form
          className="dial"
          onSubmit={(e) => {
            e.preventDefault();
            if (number.trim()) void dial(number.trim());
          }}
        >
          <label>
            Numéro ou poste
            <input name="dial" inputMode="tel" value={number} onChange={(e) => setNumber(e.target.value)} />
          </label>
          <button type="submit" disabled={!number.trim()}>
            Appeler
          </button>
        </form>
      ) : null}
    </section>
  );
}
