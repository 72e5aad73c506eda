import { useState, type FormEvent, type ReactNode } from 'react';
import { ROLES, type Role } from '../../../src-shared/domain/codes';
import { useApp } from '../../app/context';
import { ROLE_LABELS } from '../../ui/labels';
import { OneTimeCodeField } from '../../ui/OneTimeCodeField';

/** The login card both forms share: title, fields, the error, the button; `submit` runs while the button waits. */
function LoginCard({ submit, children, footer }: { submit: () => Promise<unknown>; children: ReactNode; footer?: ReactNode }) {
  const error = useApp((s) => s.error);
  const [busy, setBusy] = useState(false);
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    await submit();
    setBusy(false);
  };
  return (
    <main className="login">
      <form className="login-card" onSubmit={onSubmit} aria-labelledby="login-title">
        <h1 id="login-title">Permanence</h1>
        <p className="muted">Régulation médicale — 116 117 / SAS</p>
        {children}
        {error && (
          <p role="alert" className="error">
            {error.message}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy}>
          Se connecter
        </button>
        {footer}
      </form>
    </main>
  );
}

/** Login against the central server: identifier and password (the server says who you are). */
function ServerLoginForm() {
  const serverLogin = useApp((s) => s.serverLogin);
  const pscLogin = useApp((s) => s.pscLogin);
  const pscChoice = useApp((s) => s.pscChoice);
  const pscChoose = useApp((s) => s.pscChoose);
  const [pscWaiting, setPscWaiting] = useState(false);
  const defaultTenant = useApp((s) => s.loginMode?.defaultTenant ?? null);
  const [login, setLogin] = useState('');
  const [password, setPassword] = useState('');
  const [tenant, setTenant] = useState('');
  const [code, setCode] = useState('');
  // Asked once the server says this account has a second factor.
  const askCode = useApp((s) => s.error?.code === 'second_factor_required') || code !== '';
  if (pscChoice) {
    return (
      <main className="login">
        <section className="login-card" aria-labelledby="practice-title">
          <h1 id="practice-title">Sous quel exercice travaillez-vous ?</h1>
          <p className="muted">Pro Santé Connect connaît plusieurs exercices pour vous : choisissez celui de cette garde.</p>
          {pscChoice.practices.map((p, i) => (
            <button key={p} type="button" onClick={() => void pscChoose(i)}>
              {p}
            </button>
          ))}
        </section>
      </main>
    );
  }
  const psc = (
    <div className="psc-login">
      <p className="muted small">Médecin : e-CPS ou carte CPS</p>
      <button
        type="button"
        disabled={pscWaiting}
        onClick={() => {
          // Opened at the click (a window opened later is taken for a pop-up); PSC's page goes in it.
          const popup = window.open('', 'psc', 'width=520,height=720');
          setPscWaiting(true);
          void pscLogin(popup).finally(() => setPscWaiting(false));
        }}
      >
        {pscWaiting ? 'En attente de Pro Santé Connect…' : 'Se connecter avec Pro Santé Connect'}
      </button>
    </div>
  );
  return (
    <LoginCard submit={() => serverLogin(login, password, defaultTenant ? undefined : tenant, code.trim() || undefined)} footer={psc}>
      {defaultTenant ? null : (
        <label>
          Centre de régulation
          <input value={tenant} onChange={(e) => setTenant(e.target.value)} required />
        </label>
      )}
      <label>
        Identifiant
        <input autoFocus value={login} onChange={(e) => setLogin(e.target.value)} autoComplete="username" required />
      </label>
      <label>
        Mot de passe
        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="current-password" required />
      </label>
      {askCode ? <OneTimeCodeField label="Code de l’application d’authentification" value={code} onChange={setCode} /> : null}
    </LoginCard>
  );
}

/** A workstation without a central server: a named user and role, kept on this workstation. */
function LocalLoginForm() {
  const login = useApp((s) => s.login);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('arm');
  const [department, setDepartment] = useState('21');
  return (
    <LoginCard
      submit={() => login(name, role, department.trim().toUpperCase())}
      footer={<p className="muted small">Mode formation : les dossiers restent sur ce poste ; n’y saisissez aucun patient réel.</p>}
    >
      <label>
        Nom et prénom
        <input autoFocus value={name} onChange={(e) => setName(e.target.value)} autoComplete="name" required minLength={2} />
      </label>
      <fieldset>
        <legend>Rôle</legend>
        {/* No administration in training: the center's accounts and settings live on its server. */}
        {ROLES.filter((r) => r !== 'admin').map((r) => (
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
    </LoginCard>
  );
}

export function LoginScreen() {
  const serverConfigured = useApp((s) => s.loginMode?.serverConfigured ?? false);
  return serverConfigured ? <ServerLoginForm /> : <LocalLoginForm />;
}
