/**
 * The admin's accounts and security screen: who is logged in where (and ending a session), an
 * account changed (role, deactivation, new password, lost phone: second factor reset — each ends
 * the account's sessions), and the center's settings (second factor required, idle lock per role).
 */
import { useEffect, useState } from 'react';
import type { MethodOutput } from '../../../src-shared/contract/methods';
import type { SecuritySettings } from '../../../src-shared/schemas/security';
import { useApp } from '../../app/context';
import { dateTime, principalRoleLabel, ROLE_SHORT_LABELS, workstationLabel } from '../../ui/labels';

type SessionView = MethodOutput<'admin.sessions'>[number];
const ROLES = ['arm', 'physician', 'supervisor', 'admin'] as const;

export function SecurityAdmin() {
  const bridge = useApp((s) => s.bridge);
  const setMainView = useApp((s) => s.setMainView);
  const [sessions, setSessions] = useState<SessionView[] | null>(null);
  const [settings, setSettings] = useState<SecuritySettings | null>(null);
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  const say = (ok: boolean, text: string) => setNotice({ ok, text });
  const loadSessions = () => void bridge.invoke('admin.sessions', {}).then((r) => (r.ok ? setSessions(r.value) : say(false, r.error.message)));
  useEffect(() => {
    loadSessions();
    void bridge.invoke('security.get', {}).then((r) => (r.ok ? setSettings(r.value) : say(false, r.error.message)));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [bridge]);

  const end = async (s: SessionView) => {
    const r = await bridge.invoke('admin.endSession', { sessionId: s.id });
    if (r.ok) say(true, `Session de ${s.displayName} (${s.workstation}) terminée.`);
    else say(false, r.error.message);
    loadSessions();
  };

  return (
    <section className="panel partners-admin security-admin" aria-labelledby="security-title">
      <header className="panel-header">
        <h2 id="security-title">Comptes et sécurité</h2>
        <button type="button" onClick={() => setMainView('work')}>
          Retour au poste
        </button>
      </header>
      {notice ? (
        <p role={notice.ok ? 'status' : 'alert'} className={notice.ok ? 'notice' : 'form-error'}>
          {notice.text}
        </p>
      ) : null}
      <section aria-label="Sessions ouvertes">
        <h3>Sessions ouvertes</h3>
        {sessions && sessions.length === 0 ? <p className="muted">Aucune session ouverte.</p> : null}
        {sessions && sessions.length > 0 ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Qui</th>
                <th scope="col">Poste</th>
                <th scope="col">Adresse</th>
                <th scope="col">Connexion</th>
                <th scope="col">Depuis</th>
                <th scope="col">Dernière activité</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {sessions.map((s) => (
                <tr key={s.id}>
                  <td>
                    {s.displayName} <span className="muted">({principalRoleLabel(s.role)})</span>
                  </td>
                  <td className="mono small">{workstationLabel(s.workstation)}</td>
                  <td className="mono small">{s.address ?? ''}</td>
                  <td>{s.method === 'password+totp' ? 'mot de passe + code' : s.method === 'psc' ? 'Pro Santé Connect' : 'mot de passe'}</td>
                  <td className="nowrap">{dateTime(s.startedAt)}</td>
                  <td className="nowrap">{dateTime(s.lastSeenAt)}</td>
                  <td>
                    <button type="button" onClick={() => void end(s)}>
                      Terminer
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      <AccountForm onDone={(ok, text) => (say(ok, text), loadSessions())} />
      {settings ? <SettingsForm initial={settings} onDone={(ok, text, s) => (say(ok, text), s && setSettings(s))} /> : null}
    </section>
  );
}

function AccountForm({ onDone }: { onDone(ok: boolean, text: string): void }) {
  const bridge = useApp((s) => s.bridge);
  const [login, setLogin] = useState('');
  const [action, setAction] = useState<'password' | 'second-factor' | 'deactivate' | 'activate' | 'role'>('password');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<(typeof ROLES)[number]>('arm');
  return (
    <form
      className="admin-form"
      aria-label="Modifier un compte"
      onSubmit={(e) => {
        e.preventDefault();
        const changes =
          action === 'password'
            ? { password }
            : action === 'second-factor'
              ? { resetSecondFactor: true as const }
              : action === 'role'
                ? { role }
                : { active: action === 'activate' };
        void bridge.invoke('admin.updateUser', { login: login.trim(), ...changes }).then((r) => {
          if (r.ok) onDone(true, `${r.value.login} : modifié ; ${r.value.sessionsEnded} session(s) terminée(s).`);
          else onDone(false, r.error.message);
          setPassword('');
        });
      }}
    >
      <h3>Modifier un compte</h3>
      <label>
        Identifiant
        <input value={login} onChange={(e) => setLogin(e.target.value)} required maxLength={100} />
      </label>
      <label>
        Action
        <select value={action} onChange={(e) => setAction(e.target.value as typeof action)}>
          <option value="password">Nouveau mot de passe</option>
          <option value="second-factor">Réinitialiser le second facteur (téléphone perdu)</option>
          <option value="role">Changer de rôle</option>
          <option value="deactivate">Désactiver le compte</option>
          <option value="activate">Réactiver le compte</option>
        </select>
      </label>
      {action === 'password' ? (
        <label>
          Nouveau mot de passe (12 caractères au moins)
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required autoComplete="new-password" />
        </label>
      ) : null}
      {action === 'role' ? (
        <label>
          Rôle
          <select value={role} onChange={(e) => setRole(e.target.value as (typeof ROLES)[number])}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_SHORT_LABELS[r]}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <button type="submit">Appliquer</button>
    </form>
  );
}

function SettingsForm({ initial, onDone }: { initial: SecuritySettings; onDone(ok: boolean, text: string, s?: SecuritySettings): void }) {
  const bridge = useApp((s) => s.bridge);
  const [require2fa, setRequire2fa] = useState(initial.requireSecondFactor);
  const [minutes, setMinutes] = useState(() => Object.fromEntries(ROLES.map((r) => [r, String(initial.idleLockSeconds[r] / 60)])) as Record<(typeof ROLES)[number], string>);
  return (
    <form
      className="admin-form"
      aria-label="Réglages de sécurité du centre"
      onSubmit={(e) => {
        e.preventDefault();
        const idle = Object.fromEntries(ROLES.map((r) => [r, Math.round(Number(minutes[r].replace(',', '.')) * 60)])) as SecuritySettings['idleLockSeconds'];
        void bridge.invoke('security.set', { requireSecondFactor: require2fa, idleLockSeconds: idle }).then((r) => (r.ok ? onDone(true, 'Réglages de sécurité enregistrés.', r.value) : onDone(false, r.error.message)));
      }}
    >
      <h3>Réglages de sécurité du centre</h3>
      <label className="radio">
        <input type="checkbox" checked={require2fa} onChange={(e) => setRequire2fa(e.target.checked)} />
        Exiger un second facteur (application d’authentification) pour les connexions par mot de passe
      </label>
      {ROLES.map((r) => (
        <label key={r}>
          Verrouillage après inactivité — {ROLE_SHORT_LABELS[r]} (min)
          <input value={minutes[r]} onChange={(e) => setMinutes({ ...minutes, [r]: e.target.value })} inputMode="decimal" size={4} required />
        </label>
      ))}
      <button type="submit">Enregistrer les réglages</button>
    </form>
  );
}
