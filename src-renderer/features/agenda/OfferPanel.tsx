/**
 * Supervision of the offer (supervisors, CPTS coordinators): hours of slots per hour of the week
 * (heat map), per doctor (published, booked, fulfilled, no-show, weekly hours against the SAS
 * 2 h threshold), per sector, sectors with no free slot in the next 24 h, and the SNP majoration
 * counted per doctor (15 € per act within 48 h, 20 a week at most, not for own patients).
 */
import { useEffect, useState } from 'react';
import type { OfferFigures } from '../../../src-shared/schemas/slots';
import { useApp } from '../../app/context';
import { DateField } from '../../ui/DateFields';

const DAYS = ['Lun', 'Mar', 'Mer', 'Jeu', 'Ven', 'Sam', 'Dim'];
const iso = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
const euros = (cents: number) => (cents / 100).toLocaleString('fr-FR', { style: 'currency', currency: 'EUR' });

function defaultPeriod(): { from: string; to: string } {
  const d = new Date();
  return { from: iso(d), to: iso(new Date(d.getFullYear(), d.getMonth(), d.getDate() + 6)) };
}

function HeatMap({ grid }: { grid: number[][] }) {
  const max = Math.max(0.01, ...grid.flat());
  return (
    <table className="heatmap" aria-label="Heures de créneaux par heure de la semaine">
      <thead>
        <tr>
          <th />
          {Array.from({ length: 24 }, (_, h) => (
            <th key={h} scope="col">
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {grid.map((row, d) => (
          <tr key={d}>
            <th scope="row">{DAYS[d]}</th>
            {row.map((v, h) => (
              <td
                key={h}
                title={`${DAYS[d]} ${h} h : ${v.toLocaleString('fr-FR', { maximumFractionDigits: 1 })} h de créneaux`}
                style={{ background: v > 0 ? `rgba(21, 101, 192, ${0.15 + 0.85 * (v / max)})` : undefined, color: v / max > 0.55 ? '#fff' : undefined }}
              >
                {v > 0 ? v.toLocaleString('fr-FR', { maximumFractionDigits: 1 }) : ''}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function OfferPanel() {
  const bridge = useApp((s) => s.bridge);
  const [period, setPeriod] = useState(defaultPeriod);
  const [figures, setFigures] = useState<OfferFigures | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    let stale = false;
    const load = () =>
      void bridge.invoke('agenda.offer', period).then((r) => {
        if (stale) return;
        if (r.ok) {
          setFigures(r.value);
          setProblem(null);
        } else setProblem(r.error.message);
      });
    load();
    const off = bridge.on('agenda.changed', load);
    return () => {
      stale = true;
      off();
    };
  }, [bridge, period]);

  return (
    <section className="panel offer" aria-label="Offre de soins non programmés">
      <header className="row">
        <h2 className="grow">Offre de soins non programmés</h2>
        <DateField label="Du" name="from" value={period.from} onChange={(from) => setPeriod((p) => ({ ...p, from }))} />
        <DateField label="Au" name="to" value={period.to} onChange={(to) => setPeriod((p) => ({ ...p, to }))} />
        <button
          type="button"
          onClick={() =>
            void bridge.invoke('reports.download', { kind: 'effector-incentives.csv', month: period.from.slice(0, 7) }).then((r) => {
              if (!r.ok) return setProblem(r.error.message);
              const a = document.createElement('a');
              a.href = `data:${r.value.contentType};base64,${r.value.base64}`;
              a.download = r.value.filename;
              a.click();
            })
          }
        >
          Export majorations (CSV, mois)
        </button>
      </header>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {figures ? (
        <>
          {figures.sectorsWithoutSlotNext24h.length ? (
            <p className="alert" role="alert">
              Aucun créneau libre dans les 24 prochaines heures : secteur{figures.sectorsWithoutSlotNext24h.length > 1 ? 's' : ''} {figures.sectorsWithoutSlotNext24h.join(', ')}.
            </p>
          ) : (
            <p className="ok">Chaque secteur a au moins un créneau libre dans les 24 prochaines heures.</p>
          )}
          <h3>Répartition horaire (heures de créneaux publiés)</h3>
          <HeatMap grid={figures.heatmap} />
          <h3>Par médecin</h3>
          <table className="figures">
            <thead>
              <tr>
                <th>Médecin</th>
                <th>Secteurs</th>
                <th>Créneaux</th>
                <th>Réservés</th>
                <th>Honorés</th>
                <th>Absents</th>
                <th>Surnombre</th>
                <th>Heures / semaine</th>
                <th>Seuil SAS (2 h)</th>
              </tr>
            </thead>
            <tbody>
              {figures.perDoctor.map((d) => (
                <tr key={d.effectorId}>
                  <td>{d.name}</td>
                  <td>{d.sectors.join(', ')}</td>
                  <td>{d.slotsPublished}</td>
                  <td>{d.booked}</td>
                  <td>{d.fulfilled}</td>
                  <td>{d.noShow}</td>
                  <td>{d.surnombre}</td>
                  <td>{d.hoursPerWeek.toLocaleString('fr-FR')}</td>
                  <td>{d.meetsSasThreshold ? '✓ atteint' : '✗ non atteint'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Par secteur</h3>
          <table className="figures">
            <thead>
              <tr>
                <th>Secteur</th>
                <th>Créneaux</th>
                <th>Heures</th>
                <th>Réservés</th>
                <th>Honorés</th>
                <th>Absents</th>
              </tr>
            </thead>
            <tbody>
              {figures.perSector.map((s) => (
                <tr key={s.sectorCode} className={figures.sectorsWithoutSlotNext24h.includes(s.sectorCode) ? 'no-slot' : undefined}>
                  <td>
                    {s.sectorCode} — {s.name}
                    {figures.sectorsWithoutSlotNext24h.includes(s.sectorCode) ? ' (aucun créneau libre sous 24 h)' : ''}
                  </td>
                  <td>{s.slots}</td>
                  <td>{s.hours.toLocaleString('fr-FR')}</td>
                  <td>{s.booked}</td>
                  <td>{s.fulfilled}</td>
                  <td>{s.noShow}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Majoration SNP (15 € par acte sous 48 h, 20 par semaine au plus, hors patientèle propre)</h3>
          <table className="figures">
            <thead>
              <tr>
                <th>Médecin</th>
                <th>Actes honorés</th>
                <th>Payés</th>
                <th>Patientèle propre</th>
                <th>Délai &gt; 48 h</th>
                <th>Au-delà de 20/semaine</th>
                <th>Montant</th>
              </tr>
            </thead>
            <tbody>
              {figures.incentives.map((c) => (
                <tr key={c.effectorId}>
                  <td>{c.name}</td>
                  <td>{c.acts}</td>
                  <td>{c.paid}</td>
                  <td>{c.excludedOwnPatients}</td>
                  <td>{c.excludedLate}</td>
                  <td>{c.overCap}</td>
                  <td>{euros(c.amountCents)}</td>
                </tr>
              ))}
              {figures.incentives.length === 0 ? (
                <tr>
                  <td colSpan={7} className="muted">
                    Aucun acte honoré sur la période.
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </>
      ) : (
        <p className="muted">Chargement…</p>
      )}
    </section>
  );
}
