import { useState, type FormEvent } from 'react';
import { ROLES, type Role } from '../../../src-shared/domain/codes';
import { useApp } from '../../app/context';
import { ROLE_LABELS } from '../../ui/labels';

/** Placeholder login until the central server authenticates users (issue 3): a name, a role, a department. */
export function LoginScreen() {
  const login = useApp((s) => s.login);
  const error = useApp((s) => s.error);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('arm');
  const [department, setDepartment] = useState('21');
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    await login(name, role, department.trim().toUpperCase());
    setBusy(false);
  };

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">Permanence</h1>
        <p className="muted">Régulation médicale — 116 117 / SAS</p>
        <label>
          Nom et prénom
          <input autoFocus value={name} onChange={(e) => setName(e.target.value)} autoComplete="name" required minLength={2} />
        </label>
        <fieldset>
          <legend>Rôle</legend>
          {ROLES.map((r) => (
            <label key={r} className="radio">
              <input type="radio" name="role" value={r} checked={role === r} onChange={() => setRole(r)} />
              {ROLE_LABELS[r]}
            </label>
          ))}
        </fieldset>
        <label>
          Département
          <input value={department} onChange={(e) => setDepartment(e.target.value)} maxLength={3} size={4} required />
        </label>
        {error && (
          <p role="alert" className="error">
            {error.message}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          Se connecter
        </button>
        <p className="muted small">Connexion provisoire : l’authentification par le serveur central arrive avec la synchronisation.</p>
      </form>
    </main>
  );
}
