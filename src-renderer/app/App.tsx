import { useEffect } from 'react';
import { useApp } from './context';
import { LoginScreen } from '../features/login/LoginScreen';
import { Workspace } from './Workspace';

export function App() {
  const session = useApp((s) => s.session);
  const checked = useApp((s) => s.sessionChecked);
  const theme = useApp((s) => s.theme);
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  if (!checked) return <p className="loading">Connexion au poste…</p>;
  return session ? <Workspace /> : <LoginScreen />;
}
