/**
 * The locked workstation: no patient datum on screen (no queue, no case, not the caller's number),
 * only who locked it, the telephone's state (a call in progress goes on and can be hung up; an
 * incoming call rings) and the unlock form. The same user unlocks with his password; another user
 * may log in instead: the first one's session ends (his unsent work is kept and sent under his name).
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useApp } from '../../app/context';
import { ROLE_SHORT_LABELS } from '../../ui/labels';
import { useNow } from '../../ui/use-now';

export function LockScreen() {
  const session = useApp((s) => s.session)!;
  const unlock = useApp((s) => s.unlock);
  const pscLogin = useApp((s) => s.pscLogin);
  const logout = useApp((s) => s.logout);
  const error = useApp((s) => s.error);
  const phone = useApp((s) => s.phone);
  const hangup = useApp((s) => s.phoneHangup);
  const ownLogin = session.actor.userId.includes(':') ? session.actor.userId.slice(session.actor.userId.indexOf(':') + 1) : '';
  const [login, setLogin] = useState(ownLogin);
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const passwordRef = useRef<HTMLInputElement>(null);
  const now = useNow(1_000);
  useEffect(() => passwordRef.current?.focus(), []);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    const done = await unlock(login.trim(), password);
    setBusy(false);
    if (!done) setPassword('');
  };
  const call = phone.call && phone.call.state !== 'ended' ? phone.call : null;
  const ringing = [phone.call, ...phone.others].filter((c) => c?.state === 'ringing').length;
  const other = login.trim() !== '' && login.trim().toLowerCase() !== ownLogin.toLowerCase();
  return (
    <main className="login lock-screen" aria-labelledby="lock-title">
      <form className="login-card" onSubmit={(e) => void submit(e)} aria-label="Déverrouiller le poste">
        <h1 id="lock-title">Poste verrouillé</h1>
        <p>
          Session de <strong>{session.actor.displayName}</strong> ({ROLE_SHORT_LABELS[session.actor.role]}), verrouillée après inactivité.
        </p>
        {call && call.state === 'active' ? (
          <div className="lock-call" role="status">
            <span>
              Appel en cours <span className="mono nowrap">{formatDuration(now - (call.answeredAt ?? call.arrivedAt))}</span>
            </span>
            <button type="button" className="danger" onClick={() => void hangup(call.callId)}>
              Raccrocher
            </button>
          </div>
        ) : null}
        {ringing > 0 ? (
          <p className="lock-call pill-alert" role="alert">
            {ringing === 1 ? 'Appel entrant' : `${ringing} appels entrants`} : déverrouillez pour décrocher.
          </p>
        ) : null}
        <label>
          Identifiant
          <input value={login} onChange={(e) => setLogin(e.target.value)} autoComplete="username" required />
        </label>
        <label>
          Mot de passe
          <input ref={passwordRef} type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required />
        </label>
        {other ? <p className="muted">Un autre utilisateur se connecte : la session de {session.actor.displayName} sera fermée (son travail non envoyé est conservé).</p> : null}
        {error ? (
          <p role="alert" className="error">
            {error.message}
          </p>
        ) : null}
        <button type="submit" className="primary" disabled={busy}>
          {other ? 'Se connecter' : 'Déverrouiller'}
        </button>
        <button
          type="button"
          onClick={() => {
            // Opened at the click; PSC's page goes in it.
            const popup = window.open('', 'psc', 'width=520,height=720');
            void pscLogin(popup);
          }}
        >
          Déverrouiller avec Pro Santé Connect
        </button>
        <button type="button" onClick={() => void logout()}>
          Fermer la session
        </button>
      </form>
    </main>
  );
}

const formatDuration = (ms: number) => {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};

/** Locks the workstation after `seconds` without a key, a click, a touch or a wheel. */
export function useIdleLock(seconds: number | null, lock: () => void): void {
  useEffect(() => {
    if (!seconds) return;
    let last = Date.now();
    const seen = () => {
      last = Date.now();
    };
    const events = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart'] as const;
    for (const e of events) window.addEventListener(e, seen, { passive: true, capture: true });
    const timer = setInterval(() => {
      if (Date.now() - last >= seconds * 1000) lock();
    }, 1_000);
    return () => {
      clearInterval(timer);
      for (const e of events) window.removeEventListener(e, seen, { capture: true });
    };
  }, [seconds, lock]);
}
