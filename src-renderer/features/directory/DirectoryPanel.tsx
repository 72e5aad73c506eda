/**
 * The duty directory: who is on call now in each sector, duty pharmacies and MMGs; for an admin,
 * the CSV import of each part with the refused lines listed one by one.
 */
import { useMemo, useState } from 'react';
import { CSV_COLUMNS } from '../../../src-shared/domain/directory-csv';
import { DIRECTORY_KIND_LABELS, DIRECTORY_KINDS, ON_CALL_MODE_LABELS, type Directory, type DirectoryKind } from '../../../src-shared/schemas/directory';
import { displayPhone } from '../../../src-shared/text/phone';
import { effectorName, type AvailabilityProfile, type Effector } from '../../../src-shared/schemas/effectors';
import { availableAgainAt, canTake } from '../../../src-shared/domain/effector-availability';
import { useApp } from '../../app/context';
import { useNow } from '../../ui/use-now';

const SHOWN = 200;

function period(start: number, end: number): string {
  const f = (ms: number) => new Date(ms).toLocaleString('fr-FR', { weekday: 'short', day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' });
  return `${f(start)} → ${f(end)}`;
}

function rowsOf(dir: Directory, kind: DirectoryKind, now: number, profiles: ReadonlyMap<string, AvailabilityProfile>): { key: string; cells: string[]; current?: boolean }[] {
  switch (kind) {
    case 'sectors':
      return dir.sectors.map((s) => ({ key: s.code, cells: [s.code, s.name, `${s.communes.length} commune${s.communes.length > 1 ? 's' : ''}`] }));
    case 'onCall':
      return dir.onCall.map((o, i) => ({
        key: String(i),
        cells: [o.sectorCode, o.doctorName, displayPhone(o.phone), ON_CALL_MODE_LABELS[o.mode], period(o.start, o.end)],
        current: o.start <= now && now < o.end,
      }));
    case 'pharmacies':
      return dir.pharmacies.map((p, i) => ({ key: String(i), cells: [p.name, p.address, displayPhone(p.phone), period(p.start, p.end)], current: p.start <= now && now < p.end }));
    case 'mmgs':
      return dir.mmgs.map((m, i) => ({ key: String(i), cells: [m.name, m.address, displayPhone(m.phone), m.hours] }));
    case 'structures':
      return dir.structures.map((s) => ({ key: s.id, cells: [s.kind, s.name, s.finess ? `FINESS ${s.finess}` : `SIRET ${s.siret}`] }));
    case 'effectors':
      return dir.effectors.map((e) => ({
        key: e.id,
        cells: [
          effectorName(e),
          e.rpps ? `RPPS ${e.rpps}` : `ADELI ${e.adeli}`,
          displayPhone(e.phone),
          e.sectors.join(', '),
          participationText(e.participation),
          e.places.map((p) => p.name).join(' ; '),
          availabilityText(e, profiles.get(e.id), now),
        ],
        current: canTake(e, profiles.get(e.id), 'visit', now).ok || canTake(e, profiles.get(e.id), 'consultation', now).ok,
      }));
  }
}

const HEADERS: Record<DirectoryKind, string[]> = {
  sectors: ['Code', 'Secteur', 'Communes'],
  onCall: ['Secteur', 'Médecin', 'Téléphone', 'Activité', 'Garde'],
  pharmacies: ['Pharmacie', 'Adresse', 'Téléphone', 'Garde'],
  mmgs: ['Maison médicale', 'Adresse', 'Téléphone', 'Horaires'],
  structures: ['Type', 'Structure', 'Identifiant'],
  effectors: ['Professionnel', 'Identifiant', 'Téléphone', 'Secteurs', 'Participation', 'Lieux d’exercice', 'Disponibilité maintenant'],
};

/** "visites et consultations", "indisponible jusqu’au …", from the doctor's profile at `now`. */
function availabilityText(e: Effector, profile: AvailabilityProfile | undefined, now: number): string {
  const again = availableAgainAt(profile, now);
  if (again !== undefined) return again === null ? 'indisponible jusqu’à nouvel ordre' : `indisponible jusqu’au ${new Date(again).toLocaleString('fr-FR', { day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit' })}`;
  const what = [canTake(e, profile, 'visit', now).ok && 'visites', canTake(e, profile, 'consultation', now).ok && 'consultations'].filter(Boolean);
  return what.length ? `disponible : ${what.join(' et ')}` : 'indisponible';
}

function participationText(p: Effector['participation']): string {
  const parts = [p.cascade && 'sollicitations', p.agenda && 'agenda', p.onCallRota && 'garde', p.surnombre && 'surnombre', p.visits && 'visites', p.consultations && 'consultations'];
  return parts.filter(Boolean).join(', ') || '—';
}

function ImportForm({ kind }: { kind: DirectoryKind }) {
  const importDirectory = useApp((s) => s.importDirectory);
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<{ ok: boolean; message: string; lines: { line: number; message: string }[] } | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="import-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (!file) return;
        setBusy(true);
        void file
          .text()
          .then((csv) => importDirectory(kind, csv))
          .then((r) => setResult(r.ok ? { ok: true, message: `${r.rows} ligne${r.rows > 1 ? 's' : ''} importée${r.rows > 1 ? 's' : ''}.`, lines: [] } : { ok: false, message: r.message, lines: r.lines }))
          .finally(() => setBusy(false));
      }}
    >
      <label>
        Fichier CSV ({CSV_COLUMNS[kind].join(';')})
        <input type="file" name={`csv-${kind}`} accept=".csv,text/csv" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
      </label>
      <button type="submit" disabled={!file || busy}>
        Importer
      </button>
      {result ? (
        <div role={result.ok ? 'status' : 'alert'} className={result.ok ? 'notice' : 'import-errors'}>
          <p>{result.message}</p>
          {result.lines.length ? (
            <ul>
              {result.lines.slice(0, 100).map((l) => (
                <li key={`${l.line}-${l.message}`}>
                  Ligne {l.line} : {l.message}
                </li>
              ))}
              {result.lines.length > 100 ? <li>… et {result.lines.length - 100} autres</li> : null}
            </ul>
          ) : null}
        </div>
      ) : null}
    </form>
  );
}

export function DirectoryPanel() {
  const directory = useApp((s) => s.directory);
  const role = useApp((s) => s.session?.actor.role);
  const setDirectoryOpen = useApp((s) => s.setDirectoryOpen);
  const now = useNow(60_000);
  const profileList = useApp((s) => s.effectors.profiles);
  const profiles = useMemo(() => new Map(profileList.map((p) => [p.effectorId, p])), [profileList]);
  const isAdmin = role === 'admin';
  return (
    <section className="panel directory" aria-label="Annuaire de garde">
      <header className="case-header">
        <h2>Annuaire de garde</h2>
        <span className="muted">{directory && directory.version > 0 ? `version ${directory.version}` : 'vide : rien n’a encore été importé'}</span>
        {!isAdmin ? (
          <button type="button" onClick={() => setDirectoryOpen(false)}>
            Retour au dossier <kbd>Échap</kbd>
          </button>
        ) : null}
      </header>
      {DIRECTORY_KINDS.map((kind) => {
        const rows = directory ? rowsOf(directory, kind, now, profiles) : [];
        return (
          <section key={kind} className="directory-kind" aria-label={DIRECTORY_KIND_LABELS[kind]}>
            <h3>
              {DIRECTORY_KIND_LABELS[kind]} <span className="count">{rows.length}</span>
            </h3>
            {isAdmin ? <ImportForm kind={kind} /> : null}
            {rows.length ? (
              <table>
                <thead>
                  <tr>
                    {HEADERS[kind].map((h) => (
                      <th key={h}>{h}</th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {rows.slice(0, SHOWN).map((r) => (
                    <tr key={r.key} className={r.current ? 'current' : ''}>
                      {r.cells.map((c, i) => (
                        <td key={i}>{c}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
            {rows.length > SHOWN ? <p className="muted small">… {rows.length - SHOWN} lignes de plus (non affichées).</p> : null}
          </section>
        );
      })}
    </section>
  );
}
