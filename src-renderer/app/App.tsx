import { useEffect } from 'react';
import { useApp } from './context';
import { LoginScreen } from '../features/login/LoginScreen';
import { Workspace } from './Workspace';
import { WallScreen } from '../features/wall/WallScreen';
import { LockScreen, useIdleLock } from '../features/lock/LockScreen';
import { EnrolSecondFactor } from '../features/login/EnrolSecondFactor';

/** Opened as `?vue=mur` (a TV in the room): the wall screen alone, nothing to click. */
const WALL_ONLY = typeof location !== 'undefined' && new URLSearchParams(location.search).get('vue') === 'mur';

export function App() {
  // A workstation without a central server is the explicit training mode: said on every screen.
  const training = useApp((s) => s.loginMode !== null && s.loginMode !== undefined && !s.loginMode.serverConfigured);
  const screen = <Screen />;
  if (!training) return screen;
  return (
    <div className="training-frame">
      <div className="training-banner" role="status">
        Mode formation — poste sans serveur central : données fictives uniquement, rien n’est transmis au centre.
      </div>
      <div className="training-content">{screen}</div>
    </div>
  );
}

function Screen() {
  const session = useApp((s) => s.session);
  const checked = useApp((s) => s.sessionChecked);
  const theme = useApp((s) => s.theme);
  const lock = useApp((s) => s.lock);
  // The center's idle time for this user's role and the workstation's own: the shorter one.
  const idleLockSeconds = useApp((s) => {
    const times = [s.session?.idleLockSeconds, s.loginMode?.idleLockSeconds].filter((t): t is number => typeof t === 'number');
    return times.length ? Math.min(...times) : null;
  });
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  // A workstation left open locks; the wall screen shows counts only and stays up.
  useIdleLock(session && !session.locked && !WALL_ONLY ? idleLockSeconds : null, lock);
  if (!checked) return <p className="loading">Connexion au poste…</p>;
  if (!session) return <LoginScreen />;
  if (session.mustEnrolSecondFactor) return <EnrolSecondFactor />;
  if (session.locked) return <LockScreen />;
  return WALL_ONLY ? <WallScreen fullscreen /> : <Workspace />;
}
