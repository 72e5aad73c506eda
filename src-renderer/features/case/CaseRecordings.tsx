/**
 * The recordings of a case's conversations: listened to here (each listening is kept in the
 * access audit: who, when), exported by a supervisor for a legal request with its reason and the
 * file's fingerprint. Loaded on demand: opening the case does not fetch any audio.
 */
import { useEffect, useState } from 'react';
import type { RecordingView } from '../../../src-shared/schemas/lines';
import { useApp } from '../../app/context';
import { base64Blob, saveFile } from '../../ui/download';
import { dateTime, duration } from '../../ui/labels';

function Recording({ r, canExport }: { r: RecordingView; canExport: boolean }) {
  const bridge = useApp((s) => s.bridge);
  const [url, setUrl] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [exporting, setExporting] = useState(false);
  const [reason, setReason] = useState('');
  const [exported, setExported] = useState<string | null>(null);
  useEffect(() => () => void (url && URL.revokeObjectURL(url)), [url]);
  const listen = async () => {
    const res = await bridge.invoke('recordings.audio', { id: r.id });
    if (!res.ok) return setProblem(res.error.message);
    setProblem(null);
    setUrl(URL.createObjectURL(base64Blob(res.value.base64, res.value.contentType)));
  };
  const exportIt = async () => {
    const res = await bridge.invoke('recordings.export', { id: r.id, reason });
    if (!res.ok) return setProblem(res.error.message);
    saveFile(res.value);
    setExported(res.value.sha256);
    setExporting(false);
  };
  return (
    <li className="recording">
      <span>
        Appel du <span className="mono">{dateTime(r.startedAt)}</span> — {duration(r.durationMs)}
      </span>
      {r.purged ? (
        <span className="muted"> — supprimé à la fin de sa durée de conservation</span>
      ) : url ? (
        <audio controls autoPlay src={url} aria-label={`Enregistrement de l’appel du ${dateTime(r.startedAt)}`} />
      ) : (
        <button type="button" onClick={() => void listen()}>
          Écouter
        </button>
      )}
      {!r.purged && canExport && !exporting ? (
        <button type="button" onClick={() => setExporting(true)}>
          Exporter (réquisition)…
        </button>
      ) : null}
      {exporting ? (
        <form
          className="recording-export"
          onSubmit={(e) => {
            e.preventDefault();
            void exportIt();
          }}
        >
          <label>
            Motif (réquisition, référence)
            <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={300} required minLength={5} />
          </label>
          <button type="submit" className="primary">
            Exporter
          </button>
          <button type="button" onClick={() => setExporting(false)}>
            Annuler
          </button>
        </form>
      ) : null}
      {exported ? <p className="muted small">Exporté — empreinte SHA-256 : <span className="mono">{exported}</span></p> : null}
      {problem ? <p role="alert">{problem}</p> : null}
    </li>
  );
}

/** `calls`: how many calls the case has; a new one's recording is looked for again a little later (it is stored once the call is over). */
export function CaseRecordings({ caseId, calls }: { caseId: string; calls: number }) {
  const bridge = useApp((s) => s.bridge);
  const role = useApp((s) => s.session?.actor.role);
  const [list, setList] = useState<RecordingView[] | null>(null);
  useEffect(() => {
    let alive = true;
    const load = () => void bridge.invoke('recordings.ofCase', { caseId }).then((r) => alive && setList(r.ok ? r.value : []));
    load();
    const again = setTimeout(load, 3_000);
    return () => {
      alive = false;
      clearTimeout(again);
    };
  }, [bridge, caseId, calls]);
  if (!list || list.length === 0) return null;
  return (
    <section className="case-recordings" aria-label="Enregistrements des appels">
      <h3>
        Enregistrements <span className="count">{list.length}</span>
      </h3>
      <ul>
        {list.map((r) => (
          <Recording key={r.id} r={r} canExport={role === 'supervisor'} />
        ))}
      </ul>
    </section>
  );
}
