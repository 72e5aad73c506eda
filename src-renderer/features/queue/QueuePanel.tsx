import { useEffect, useRef, useState } from 'react';
import type { CaseSummary } from '../../../src-shared/schemas/case';
import { useApp } from '../../app/context';
import { ageLabel, reasonLabel, STATUS_LABELS, timeOfDay, waitingTime } from '../../ui/labels';
import { useNow } from '../../ui/use-now';
import { displayPhone } from '../../../src-shared/text/phone';

function PriorityBadge({ priority }: { priority: CaseSummary['priority'] }) {
  // Colour is never the only signal: the code is written in the badge.
  return <span className={`prio prio-${priority ?? 'none'}`}>{priority ?? '—'}</span>;
}

function CaseRow({ c, now, onOpen, waiting }: { c: CaseSummary; now: number; onOpen: (id: string) => void; waiting: boolean }) {
  return (
    <li>
      <button type="button" className="case-row" onClick={() => onOpen(c.id)} data-case-id={c.id}>
        <PriorityBadge priority={c.priority} />
        <span className="case-row-main">
          <strong>{c.patientName ?? 'Patient non identifié'}</strong>
          <span className="muted">
            {[ageLabel(c.patientBirthDate, c.patientAgeYears, now), c.patientSex && c.patientSex !== 'U' ? c.patientSex : '', c.communeName]
              .filter(Boolean)
              .join(' · ')}
          </span>
          <span className="muted">{reasonLabel(c.reasonCode)}</span>
        </span>
        <span className="case-row-side">
          {waiting && c.waitingSince ? (
            <span className="wait" title="Temps d’attente">
              {waitingTime(c.waitingSince, now)}
            </span>
          ) : (
            <span className="muted small">{STATUS_LABELS[c.status]}</span>
          )}
          <span className="muted small">
            {c.callbackPhone ? displayPhone(c.callbackPhone) : ''} {timeOfDay(c.openedAt)}
          </span>
        </span>
      </button>
    </li>
  );
}

export function QueuePanel({ searchRef }: { searchRef: React.RefObject<HTMLInputElement | null> }) {
  const queue = useApp((s) => s.queue);
  const recent = useApp((s) => s.recent);
  const results = useApp((s) => s.searchResults);
  const selectCase = useApp((s) => s.selectCase);
  const search = useApp((s) => s.search);
  const clearSearch = useApp((s) => s.clearSearch);
  const now = useNow(1000);
  const [text, setText] = useState('');
  const debounce = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => () => clearTimeout(debounce.current), []);

  return (
    <section className="panel queue" aria-label="File d’attente et dossiers">
      <div className="search">
        <label htmlFor="case-search" className="visually-hidden">
          Rechercher un dossier
        </label>
        <input
          id="case-search"
          ref={searchRef}
          type="search"
          placeholder="Rechercher : nom ou téléphone (Alt+R)"
          value={text}
          onChange={(e) => {
            const v = e.target.value;
            setText(v);
            clearTimeout(debounce.current);
            debounce.current = setTimeout(() => void search(v), 150);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              setText('');
              clearSearch();
            }
          }}
        />
      </div>
      {results !== null ? (
        <>
          <h2>Résultats ({results.length})</h2>
          {results.length === 0 ? <p className="muted empty">Aucun dossier trouvé.</p> : null}
          <ul className="case-list">
            {results.map((c) => (
              <CaseRow key={c.id} c={c} now={now} onOpen={selectCase} waiting={false} />
            ))}
          </ul>
        </>
      ) : (
        <>
          <h2 id="queue-title" tabIndex={-1}>
            File de régulation <span className="count">{queue.length}</span>
          </h2>
          {queue.length === 0 ? <p className="muted empty">Aucun dossier en attente.</p> : null}
          <ul className="case-list" aria-labelledby="queue-title">
            {queue.map((c) => (
              <CaseRow key={c.id} c={c} now={now} onOpen={selectCase} waiting />
            ))}
          </ul>
          <h2>Dossiers récents</h2>
          <ul className="case-list" aria-label="Dossiers récents">
            {recent.map((c) => (
              <CaseRow key={c.id} c={c} now={now} onOpen={selectCase} waiting={false} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
