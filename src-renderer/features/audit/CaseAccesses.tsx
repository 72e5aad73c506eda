/**
 * "Qui a consulté ce dossier ?" for a supervisor (or a data-protection officer with that role):
 * every read of the case the server's access audit holds, oldest first — who, role, organisation,
 * workstation, address, when, what (opened, history fetched, identity revealed to the effector...).
 * Read on demand: opening the list is not itself a read of the patient.
 */
import { useState } from 'react';
import type { AccessEntryView } from '../../../src-shared/schemas/access-audit';
import { ACCESS_ACTION_LABELS } from '../../../src-shared/schemas/access-audit';
import { useApp } from '../../app/context';
import { dateTime, principalRoleLabel, workstationLabel } from '../../ui/labels';


export function CaseAccesses({ caseId }: { caseId: string }) {
  const bridge = useApp((s) => s.bridge);
  const [entries, setEntries] = useState<AccessEntryView[] | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const load = async () => {
    const r = await bridge.invoke('audit.caseAccesses', { caseId });
    if (r.ok) {
      setEntries(r.value);
      setProblem(null);
    } else setProblem(r.error.message);
  };
  return (
    <section className="case-accesses" aria-label="Accès au dossier">
      <div className="row case-accesses-title">
        <h3>Accès au dossier</h3>
        <button type="button" onClick={() => void load()}>
          {entries ? 'Actualiser' : 'Qui a consulté ce dossier ?'}
        </button>
      </div>
      {problem ? <p role="alert">{problem}</p> : null}
      {entries && entries.length === 0 ? <p className="muted">Aucun accès enregistré.</p> : null}
      {entries && entries.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Quand</th>
              <th scope="col">Qui</th>
              <th scope="col">Rôle</th>
              <th scope="col">Action</th>
              <th scope="col">Poste, adresse</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e, i) => (
              <tr key={`${e.at}-${i}`}>
                <td className="mono nowrap">{dateTime(e.at)}</td>
                <td>
                  {e.displayName}
                  {e.organisation ? <span className="muted"> ({e.organisation})</span> : null}
                </td>
                <td>{principalRoleLabel(e.role)}</td>
                <td>
                  {ACCESS_ACTION_LABELS[e.action] ?? e.action}
                  {e.reason ? <span className="muted"> — motif : {e.reason}</span> : null}
                </td>
                <td className="muted small">{[e.workstation ? workstationLabel(e.workstation) : null, e.address].filter(Boolean).join(' · ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
