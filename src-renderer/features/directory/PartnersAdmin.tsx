/**
 * Admin of the effector side of the center: effectors' passwords for their phone page, the
 * cascade's deadlines, partner organisations and what they may see and book in the shared agenda,
 * and which user belongs to which organisation. Effectors and structures themselves are imported
 * with the duty directory (CSV).
 */
import { useEffect, useState } from 'react';
import { effectorName } from '../../../src-shared/schemas/effectors';
import { ORGANISATION_KINDS, ORGANISATION_KIND_LABELS, VISIBILITIES, VISIBILITY_LABELS, type Organisation, type Visibility } from '../../../src-shared/schemas/slots';
import { useApp } from '../../app/context';
import { CodeSelect } from '../../ui/CodeSelect';
import { formatFrenchDate, parseFrenchDate } from '../../../src-shared/text/dates';

type Message = { ok: boolean; text: string } | null;

function Feedback({ message }: { message: Message }) {
  if (!message) return null;
  return (
    <p className={message.ok ? 'ok small' : 'error small'} role={message.ok ? 'status' : 'alert'}>
      {message.text}
    </p>
  );
}

export function PartnersAdmin() {
  const bridge = useApp((s) => s.bridge);
  const directory = useApp((s) => s.directory);
  const [effectorId, setEffectorId] = useState('');
  const [password, setPassword] = useState('');
  const [accountMsg, setAccountMsg] = useState<Message>(null);
  const [cascade, setCascade] = useState({ treating: '10', tier: '10' });
  const [cascadeMsg, setCascadeMsg] = useState<Message>(null);
  const [orgs, setOrgs] = useState<Organisation[]>([]);
  const [org, setOrg] = useState<Organisation>({ id: '', name: '', kind: 'samu_sas', sees: ['public', 'pro'], cpts: [], canBook: true });
  const [orgMsg, setOrgMsg] = useState<Message>(null);
  const [login, setLogin] = useState('');
  const [userOrg, setUserOrg] = useState('');
  const [userMsg, setUserMsg] = useState<Message>(null);

  useEffect(() => {
    let stale = false;
    void bridge.invoke('cascade.get', {}).then((r) => {
      if (!stale && r.ok) setCascade({ treating: String(r.value.treatingDoctorMs / 60_000), tier: String(r.value.tierMs / 60_000) });
    });
    void bridge.invoke('organisations.list', {}).then((r) => !stale && r.ok && setOrgs(r.value));
    return () => {
      stale = true;
    };
  }, [bridge]);

  const effectors = directory?.effectors ?? [];
  const cptsStructures = (directory?.structures ?? []).filter((s) => s.kind === 'CPTS');

  return (
    <section className="panel partners-admin" aria-label="Effecteurs et partenaires">
      <h2>Effecteurs et partenaires</h2>

      <form
        className="row"
        aria-label="Accès des effecteurs"
        onSubmit={(e) => {
          e.preventDefault();
          void bridge.invoke('effectors.setAccount', { effectorId, password }).then((r) => {
            setAccountMsg(r.ok ? { ok: true, text: 'Mot de passe enregistré : le médecin peut se connecter à la page effecteur.' } : { ok: false, text: r.error.message });
            if (r.ok) setPassword('');
          });
        }}
      >
        <label className="grow">
          Médecin effecteur
          <select name="effectorId" value={effectorId} onChange={(e) => setEffectorId(e.target.value)}>
            <option value="">— choisir —</option>
            {effectors.map((e) => (
              <option key={e.id} value={e.id}>
                {effectorName(e)} ({e.id})
              </option>
            ))}
          </select>
        </label>
        <label>
          Mot de passe de la page effecteur
          <input type="password" name="effectorPassword" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button type="submit" disabled={!effectorId || !password}>
          Enregistrer
        </button>
      </form>
      <Feedback message={accountMsg} />

      <form
        className="row"
        aria-label="Délais de la cascade"
        onSubmit={(e) => {
          e.preventDefault();
          const treating = Number(cascade.treating.replace(',', '.'));
          const tier = Number(cascade.tier.replace(',', '.'));
          if (!(treating >= 0) || !(tier > 0)) return setCascadeMsg({ ok: false, text: 'Indiquez des durées en minutes (palier > 0).' });
          void bridge.invoke('cascade.set', { treatingDoctorMs: Math.round(treating * 60_000), tierMs: Math.round(tier * 60_000) }).then((r) => {
            setCascadeMsg(r.ok ? { ok: true, text: 'Délais enregistrés pour les prochaines sollicitations.' } : { ok: false, text: r.error.message });
          });
        }}
      >
        <label>
          Délai du médecin traitant (min)
          <input name="treatingMinutes" inputMode="decimal" value={cascade.treating} onChange={(e) => setCascade((c) => ({ ...c, treating: e.target.value }))} />
        </label>
        <label>
          Délai de chaque palier suivant (min)
          <input name="tierMinutes" inputMode="decimal" value={cascade.tier} onChange={(e) => setCascade((c) => ({ ...c, tier: e.target.value }))} />
        </label>
        <button type="submit">Enregistrer les délais</button>
      </form>
      <Feedback message={cascadeMsg} />

      <PdsaRulesForm />

      <h3>Organisations partenaires (agenda partagé)</h3>
      <table className="figures small">
        <thead>
          <tr>
            <th>Identifiant</th>
            <th>Nom</th>
            <th>Type</th>
            <th>Voit</th>
            <th>Réserve</th>
          </tr>
        </thead>
        <tbody>
          {orgs.map((o) => (
            <tr key={o.id}>
              <td className="mono">{o.id}</td>
              <td>{o.name}</td>
              <td>{ORGANISATION_KIND_LABELS[o.kind]}</td>
              <td>{o.sees.map((v) => VISIBILITY_LABELS[v]).join(', ') || '—'}</td>
              <td>{o.canBook ? 'oui' : 'non'}</td>
            </tr>
          ))}
          {orgs.length === 0 ? (
            <tr>
              <td colSpan={5} className="muted">
                Aucune organisation partenaire : seule la régulation du centre voit et réserve l’agenda.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      <form
        className="row"
        aria-label="Organisation partenaire"
        onSubmit={(e) => {
          e.preventDefault();
          void bridge.invoke('organisations.set', org).then((r) => {
            if (!r.ok) return setOrgMsg({ ok: false, text: r.error.message });
            setOrgMsg({ ok: true, text: `Organisation « ${r.value.name} » enregistrée.` });
            setOrgs((list) => [...list.filter((o) => o.id !== r.value.id), r.value].sort((a, b) => a.id.localeCompare(b.id)));
          });
        }}
      >
        <label>
          Identifiant
          <input name="orgId" placeholder="sas-21" value={org.id} onChange={(e) => setOrg((o) => ({ ...o, id: e.target.value.trim().toLowerCase() }))} />
        </label>
        <label className="grow">
          Nom
          <input name="orgName" value={org.name} onChange={(e) => setOrg((o) => ({ ...o, name: e.target.value }))} />
        </label>
        <CodeSelect label="Type" name="orgKind" value={org.kind} codes={ORGANISATION_KINDS} labels={ORGANISATION_KIND_LABELS} onChange={(kind) => kind && setOrg((o) => ({ ...o, kind }))} />
        <fieldset className="inline">
          <legend>Créneaux visibles</legend>
          {VISIBILITIES.map((v) => (
            <label key={v} className="checkbox">
              <input
                type="checkbox"
                checked={org.sees.includes(v)}
                onChange={(e) => setOrg((o) => ({ ...o, sees: e.target.checked ? [...o.sees, v] : o.sees.filter((x): x is Visibility => x !== v) }))}
              />
              {VISIBILITY_LABELS[v]}
            </label>
          ))}
        </fieldset>
        {org.sees.includes('cpts') ? (
          <label>
            CPTS
            <select multiple name="orgCpts" value={org.cpts} onChange={(e) => setOrg((o) => ({ ...o, cpts: [...e.target.selectedOptions].map((x) => x.value) }))}>
              {cptsStructures.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
        ) : null}
        <label className="checkbox">
          <input type="checkbox" name="orgCanBook" checked={org.canBook} onChange={(e) => setOrg((o) => ({ ...o, canBook: e.target.checked }))} />
          Peut réserver
        </label>
        <button type="submit" disabled={!org.id || !org.name.trim()}>
          Enregistrer l’organisation
        </button>
      </form>
      <Feedback message={orgMsg} />

      <form
        className="row"
        aria-label="Rattacher un utilisateur"
        onSubmit={(e) => {
          e.preventDefault();
          void bridge.invoke('organisations.assignUser', { login, organisationId: userOrg || null }).then((r) => {
            setUserMsg(r.ok ? { ok: true, text: `${r.value.login} : ${r.value.organisationId ? `rattaché à ${r.value.organisationId}` : 'régulation du centre'}.` } : { ok: false, text: r.error.message });
          });
        }}
      >
        <label>
          Identifiant de l’utilisateur
          <input name="userLogin" value={login} onChange={(e) => setLogin(e.target.value)} />
        </label>
        <label>
          Organisation
          <select name="userOrganisation" value={userOrg} onChange={(e) => setUserOrg(e.target.value)}>
            <option value="">Régulation du centre</option>
            {orgs.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={!login.trim()}>
          Rattacher
        </button>
      </form>
      <Feedback message={userMsg} />
    </section>
  );
}

/**
 * The department's PDSA rules as decided by the ARS: when Saturday's PDSA starts, the bridge days
 * (typed JJ/MM/AAAA, one per line or separated by commas), and the usual bridge rule applied by
 * itself. Statistics (PDSA or daytime) and every workstation's PDSA banner follow them.
 */
function PdsaRulesForm() {
  const bridge = useApp((s) => s.bridge);
  const [hour, setHour] = useState('12');
  const [days, setDays] = useState('');
  const [auto, setAuto] = useState(false);
  const [msg, setMsg] = useState<Message>(null);
  useEffect(() => {
    let stale = false;
    void bridge.invoke('pdsa.rules', {}).then((r) => {
      if (stale || !r.ok) return;
      setHour(String(r.value.saturdayStartHour));
      setDays(r.value.bridgeDays.map(formatFrenchDate).join('\n'));
      setAuto(r.value.autoBridgeDays);
    });
    return () => {
      stale = true;
    };
  }, [bridge]);
  return (
    <>
      <form
        className="row pdsa-rules"
        aria-label="Règles de PDSA du département"
        onSubmit={(e) => {
          e.preventDefault();
          const typed = days.split(/[\n,;]+/).map((d) => d.trim()).filter(Boolean);
          const parsed = typed.map((d) => ({ d, iso: parseFrenchDate(d, undefined, 'near') }));
          const bad = parsed.filter((p) => p.iso === null).map((p) => p.d);
          if (bad.length) return setMsg({ ok: false, text: `Jour de pont illisible : ${bad.join(', ')} (JJ/MM/AAAA).` });
          void bridge
            .invoke('pdsa.setRules', { saturdayStartHour: Number(hour), bridgeDays: parsed.map((p) => p.iso!), autoBridgeDays: auto })
            .then((r) => setMsg(r.ok ? { ok: true, text: 'Règles de PDSA enregistrées : statistiques et postes les suivent.' } : { ok: false, text: r.error.message }));
        }}
      >
        <label>
          Début de la PDSA le samedi
          <select name="saturdayStartHour" value={hour} onChange={(e) => setHour(e.target.value)}>
            {['12', '13', '14'].map((h) => (
              <option key={h} value={h}>
                {h} h
              </option>
            ))}
          </select>
        </label>
        <label className="grow">
          Jours de pont décidés par l’ARS (JJ/MM/AAAA, un par ligne)
          <textarea name="bridgeDays" rows={3} value={days} onChange={(e) => setDays(e.target.value)} />
        </label>
        <label className="checkbox">
          <input type="checkbox" name="autoBridgeDays" checked={auto} onChange={(e) => setAuto(e.target.checked)} />
          Ponts habituels automatiques (lundi avant un mardi férié, vendredi et samedi après un jeudi férié)
        </label>
        <button type="submit">Enregistrer les règles de PDSA</button>
      </form>
      <Feedback message={msg} />
    </>
  );
}
