/**
 * Statistics of the center for a period and a sector, with the definitions of every figure, and
 * the reports to send out (monthly activity for the ARS, regulation acts per physician).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { DECISIONS, PRIORITY_LABELS, type DecisionCode, type Priority } from '../../../src-shared/domain/codes';
import { ANSWER_TARGETS, STATISTICS_DEFINITIONS, type ActivityStatistics } from '../../../src-shared/domain/statistics';
import type { ReportRequest } from '../../../src-shared/schemas/statistics';
import { useApp } from '../../app/context';
import { DateField } from '../../ui/DateFields';
import { saveFile } from '../../ui/download';

const pct = (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1).replace('.', ',')} %`);
// A number and its unit never part (no "46 / s" on two lines): a no-break space between them.
const secs = (v: number | null) => (v === null ? '—' : v < 120 ? `${Math.round(v)}\u00a0s` : `${(v / 60).toFixed(1).replace('.', ',')}\u00a0min`);
const localDay = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const euros = (cents: number) => (cents / 100).toFixed(2).replace('.', ',');

function Figure({ label, value, note }: { label: string; value: string | number; note?: string }) {
  return (
    <tr>
      <th scope="row">{label}</th>
      <td className="mono">{value}</td>
      <td className="muted">{note ?? ''}</td>
    </tr>
  );
}

const download = saveFile;

export function StatsPanel() {
  const bridge = useApp((s) => s.bridge);
  const role = useApp((s) => s.session?.actor.role);
  const directory = useApp((s) => s.directory);
  const setMainView = useApp((s) => s.setMainView);
  const [from, setFrom] = useState(() => {
    const t = new Date();
    return localDay(new Date(t.getFullYear(), t.getMonth(), 1));
  });
  const [to, setTo] = useState(() => localDay(new Date()));
  const [sector, setSector] = useState('');
  const [stats, setStats] = useState<ActivityStatistics | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [month, setMonth] = useState(() => localDay(new Date()).slice(0, 7));
  const [amounts, setAmounts] = useState<{ amountPerActCents: number; yearEndComplementCents: number } | null>(null);

  const load = useCallback(() => {
    void bridge.invoke('stats.period', { from, to, ...(sector ? { sectorId: sector } : {}) }).then((r) => {
      if (r.ok) {
        setStats(r.value);
        setProblem(null);
      } else setProblem(r.error.message);
    });
  }, [bridge, from, to, sector]);
  // Figures for the default period when the screen opens; after that, on "Calculer".
  const loadedOnce = useRef(false);
  useEffect(() => {
    if (loadedOnce.current) return;
    loadedOnce.current = true;
    load();
    void bridge.invoke('incentives.get', {}).then((r) => r.ok && setAmounts(r.value));
  }, [bridge, load]);

  const report = (req: ReportRequest) =>
    void bridge.invoke('reports.download', req).then((r) => {
      if (r.ok) download(r.value);
      else setProblem(r.error.message);
    });

  const c = stats?.calls;
  return (
    <section className="panel stats-panel" aria-labelledby="stats-title">
      <header className="panel-header">
        <h2 id="stats-title">Statistiques d’activité</h2>
        <button type="button" onClick={() => setMainView('work')}>
          Retour au poste
        </button>
      </header>
      <form
        className="stats-form"
        onSubmit={(e) => {
          e.preventDefault();
          load();
        }}
      >
        <DateField label="Du" name="from" value={from} onChange={setFrom} />
        <DateField label="au" name="to" value={to} onChange={setTo} />
        <label>
          Secteur{' '}
          <select value={sector} onChange={(e) => setSector(e.target.value)}>
            <option value="">Tout le département</option>
            {(directory?.sectors ?? []).map((s) => (
              <option key={s.code} value={s.code}>
                {s.code} — {s.name}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Calculer</button>
      </form>
      {problem ? (
        <p className="form-error" role="alert">
          {problem}
        </p>
      ) : null}
      {stats && c ? (
        <div className="stats-grid">
          <table className="stats-table" aria-label="Appels">
            <caption>Appels{sector ? ' (liés à un dossier du secteur)' : ''}</caption>
            <tbody>
              <Figure label="Reçus" value={c.received} note={`PDSA ${c.pdsa.received} · journée ${c.daytime.received}`} />
              <Figure label="Décrochés" value={c.answered} />
              <Figure label="Abandonnés" value={c.abandoned} note={`PDSA ${c.pdsa.abandoned} · journée ${c.daytime.abandoned}`} />
              <Figure label="Transférés après décroché" value={c.transferred} />
              <Figure label="Décrochés en 30 s" value={pct(c.shareWithin30s)} note={`objectif ${pct(ANSWER_TARGETS.within30sShare)}`} />
              <Figure label="Décrochés en 60 s" value={pct(c.shareWithin60s)} note={`objectif ${pct(ANSWER_TARGETS.within60sShare)}`} />
              <Figure label="Délai de décroché médian" value={secs(c.answerSeconds.median)} note={`90e centile ${secs(c.answerSeconds.p90)}`} />
              {c.answerSeconds.buckets.map((b) => (
                <Figure key={b.label} label={`Décroché ${b.label}`} value={b.count} />
              ))}
              <Figure label="Appels sortants (rappels)" value={c.outgoing} />
            </tbody>
          </table>
          <table className="stats-table" aria-label="Dossiers">
            <caption>Dossiers</caption>
            <tbody>
              <Figure label="Ouverts" value={stats.cases.total} note={`PDSA ${stats.cases.pdsa} · journée ${stats.cases.daytime}`} />
              <Figure label="Rouverts" value={stats.cases.reopened} />
              <Figure
                label="Délai de régulation médian"
                value={secs(stats.cases.regulationDelay.medianSeconds)}
                note={`90e centile ${secs(stats.cases.regulationDelay.p90Seconds)}`}
              />
              {(Object.entries(stats.cases.byPriority) as [Priority | 'none', number][]).map(([p, n]) => (
                <Figure key={p} label={p === 'none' ? 'Sans priorité' : PRIORITY_LABELS[p]} value={n} />
              ))}
              {(Object.entries(stats.cases.byDecision) as [DecisionCode | 'none', number][]).map(([d, n]) => (
                <Figure key={d} label={d === 'none' ? 'Sans décision' : DECISIONS[d].label} value={n} />
              ))}
              <Figure label="Consultations organisées" value={stats.cases.consultationsArranged} note="réalisées : retour des effecteurs à venir" />
              <Figure label="Visites organisées" value={stats.cases.homeVisitsArranged} />
            </tbody>
          </table>
          <table className="stats-table" aria-label="Par secteur et par médecin">
            <caption>Par secteur et par médecin régulateur</caption>
            <tbody>
              {Object.entries(stats.cases.bySector).map(([s, n]) => (
                <Figure key={s} label={s === 'none' ? 'Hors secteur' : `Secteur ${s}`} value={n} />
              ))}
              {stats.cases.perPhysician.map((p) => (
                <Figure key={p.userId} label={p.name} value={p.decisions} note="décisions" />
              ))}
              {stats.cases.total === 0 ? <Figure label="Aucun dossier sur la période" value="—" /> : null}
            </tbody>
          </table>
        </div>
      ) : null}
      <section className="stats-reports" aria-label="Rapports">
        <h3>Rapports</h3>
        <label>
          Mois <input type="month" value={month} onChange={(e) => setMonth(e.target.value)} />
        </label>
        <button type="button" onClick={() => report({ kind: 'activity.pdf', month })}>
          Rapport d’activité ARS (PDF)
        </button>
        <button type="button" onClick={() => report({ kind: 'activity.csv', month })}>
          Rapport d’activité (CSV)
        </button>
        <button type="button" onClick={() => report({ kind: 'acts.csv', month })}>
          Actes par médecin du mois (CSV)
        </button>
        <button type="button" onClick={() => report({ kind: 'acts.csv', year: month.slice(0, 4) })}>
          Actes de l’année et complément (CSV)
        </button>
        {amounts ? (
          <p className="muted">
            Montant par acte : {euros(amounts.amountPerActCents)} € · complément de fin d’année : {euros(amounts.yearEndComplementCents)} €
            {role === 'admin' ? '' : ' (fixés par l’administrateur)'}
          </p>
        ) : null}
        {role === 'admin' && amounts ? <IncentiveForm initial={amounts} onSaved={setAmounts} /> : null}
      </section>
      <UserAccessReport onProblem={setProblem} />
      <details className="stats-definitions" open>
        <summary>Définitions</summary>
        <dl>
          {STATISTICS_DEFINITIONS.map((d) => (
            <div key={d.term}>
              <dt>{d.term}</dt>
              <dd>{d.definition}</dd>
            </div>
          ))}
        </dl>
      </details>
    </section>
  );
}

function IncentiveForm({
  initial,
  onSaved,
}: {
  initial: { amountPerActCents: number; yearEndComplementCents: number };
  onSaved: (v: { amountPerActCents: number; yearEndComplementCents: number }) => void;
}) {
  const bridge = useApp((s) => s.bridge);
  const [perAct, setPerAct] = useState(euros(initial.amountPerActCents));
  const [complement, setComplement] = useState(euros(initial.yearEndComplementCents));
  const [message, setMessage] = useState<string | null>(null);
  const cents = (v: string) => Math.round(Number(v.replace(',', '.')) * 100);
  return (
    <form
      className="stats-form"
      onSubmit={(e) => {
        e.preventDefault();
        const body = { amountPerActCents: cents(perAct), yearEndComplementCents: cents(complement) };
        if (!Number.isFinite(body.amountPerActCents) || !Number.isFinite(body.yearEndComplementCents) || body.amountPerActCents < 0 || body.yearEndComplementCents < 0) {
          setMessage('Montants invalides : un nombre d’euros positif, par exemple 12,50.');
          return;
        }
        void bridge.invoke('incentives.set', body).then((r) => {
          setMessage(r.ok ? 'Montants enregistrés.' : r.error.message);
          if (r.ok) onSaved(r.value);
        });
      }}
    >
      <label>
        Montant par acte (€) <input inputMode="decimal" value={perAct} onChange={(e) => setPerAct(e.target.value)} />
      </label>
      <label>
        Complément de fin d’année (€) <input inputMode="decimal" value={complement} onChange={(e) => setComplement(e.target.value)} />
      </label>
      <button type="submit">Enregistrer les montants</button>
      {message ? <span role="status">{message}</span> : null}
    </form>
  );
}

/**
 * A patient asks who accessed his record, or the data-protection officer checks a user: what one
 * user accessed over a period, as CSV (each line: when, who, role, organisation, workstation,
 * address, action, case, detail, reason).
 */
function UserAccessReport({ onProblem }: { onProblem(message: string | null): void }) {
  const bridge = useApp((s) => s.bridge);
  const [login, setLogin] = useState('');
  const [from, setFrom] = useState(() => localDay(new Date(Date.now() - 30 * 86_400_000)));
  const [to, setTo] = useState(() => localDay(new Date()));
  return (
    <form
      className="stats-form"
      aria-label="Accès d’un utilisateur"
      onSubmit={(e) => {
        e.preventDefault();
        void bridge.invoke('audit.userReport', { login: login.trim(), from, to }).then((r) => {
          if (r.ok) {
            download(r.value);
            onProblem(null);
          } else onProblem(r.error.message);
        });
      }}
    >
      <h3>Accès d’un utilisateur aux dossiers</h3>
      <label>
        Identifiant (ou effector:RPPS)
        <input value={login} onChange={(e) => setLogin(e.target.value)} required maxLength={100} />
      </label>
      <DateField label="Accès à partir du" name="access-from" value={from} onChange={setFrom} />
      <DateField label="Accès jusqu’au" name="access-to" value={to} onChange={setTo} />
      <button type="submit">Télécharger (CSV)</button>
    </form>
  );
}
