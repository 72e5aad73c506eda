/**
 * The center requires a second factor and this user has none yet: he scans the QR code with an
 * authenticator app (or types the secret), then types the first code it shows. Until then the
 * workstation does nothing else.
 */
import { useState, type FormEvent } from 'react';
import QRCode from 'qrcode';
import { useApp } from '../../app/context';
import { OneTimeCodeField } from '../../ui/OneTimeCodeField';

export function EnrolSecondFactor() {
  const session = useApp((s) => s.session)!;
  const enrol = useApp((s) => s.enrolSecondFactor);
  const confirm = useApp((s) => s.confirmSecondFactor);
  const logout = useApp((s) => s.logout);
  const error = useApp((s) => s.error);
  const [secret, setSecret] = useState<{ secret: string; qr: string } | null>(null);
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const start = async () => {
    const r = await enrol();
    if (r) setSecret({ secret: r.secret, qr: await QRCode.toDataURL(r.uri, { margin: 1, width: 220 }) });
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    await confirm(code);
    setBusy(false);
  };
  return (
    <main className="login">
      <form className="login-card" onSubmit={(e) => void submit(e)} aria-labelledby="enrol-title">
        <h1 id="enrol-title">Second facteur requis</h1>
        <p>
          {session.actor.displayName}, le centre exige un code à usage unique en plus du mot de passe. Installez une application d’authentification
          (FreeOTP, Google Authenticator, Microsoft Authenticator…) sur votre téléphone professionnel.
        </p>
        {secret ? (
          <>
            <img src={secret.qr} alt="QR code à scanner avec l’application d’authentification" width={220} height={220} />
            <p className="muted small">
              Ou saisissez cette clé dans l’application : <span className="mono">{secret.secret.match(/.{1,4}/g)?.join(' ')}</span>
            </p>
            <OneTimeCodeField label="Code affiché par l’application" value={code} onChange={setCode} />
          </>
        ) : (
          <button type="button" className="primary" onClick={() => void start()}>
            Afficher le code à scanner
          </button>
        )}
        {error ? (
          <p role="alert" className="error">
            {error.message}
          </p>
        ) : null}
        {secret ? (
          <button type="submit" className="primary" disabled={busy || code.length !== 6}>
            Valider
          </button>
        ) : null}
        <button type="button" onClick={() => void logout()}>
          Fermer la session
        </button>
      </form>
    </main>
  );
}
