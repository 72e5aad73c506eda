import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { TRACK_LABELS, TRACKS, type Track } from '../../../src-shared/domain/codes';
import { AGENT_STATE_LABELS, PAUSE_REASON_LABELS } from '../../../src-shared/domain/agent-state';
import type { CaseSummary } from '../../../src-shared/schemas/case';
import { useApp } from '../../app/context';
import { watches } from '../../../src-shared/domain/redaction';
import { ageLabel, reasonLabel, STATUS_LABELS, timeOfDay, waitingTime } from '../../ui/labels';
import { useNow } from '../../ui/use-now';
import { displayPhone } from '../../../src-shared/text/phone';
import { CallbackList, LineQueues } from '../lines/CallbackList';

const NO_SECTORS: readonly { code: string; name: string }[] = [];

function PriorityBadge({ priority }: { priority: CaseSummary['priority'] }) {
  // Colour is never the only signal: the code is written in the badge.
  return <span className={`prio prio-${priority ?? 'none'}`}>{priority ?? '—'}</span>;
}

/** A case exchanged with the SAMU over the Hub Santé; "confié par le SAMU" waits for our answer. */
function HubMark({ state }: { state: NonNullable<CaseSummary['hubState']> }) {
  const toUs = state === 'to_us_pending';
  return (
    <span className={`hub-mark${toUs ? ' hub-mark-pending' : ''}`} title="Dossier échangé avec le SAMU par le Hub Santé">
      {toUs ? 'Confié par le SAMU' : state.startsWith('to_us') ? 'Du SAMU' : 'Partagé SAMU'}
    </span>
  );
}

function CaseRow({ c, now, onOpen, waiting, ...li }: { c: CaseSummary; now: number; onOpen: (id: string) => void; waiting: boolean } & React.LiHTMLAttributes<HTMLLIElement> & { 'data-index'?: number; ref?: React.Ref<HTMLLIElement> }) {
  // A supervisor's workstation holds the queue without identities: a name it has not is withheld,
  // not missing (the case opened shows it, read from the server).
  const watching = useApp((s) => (s.session ? watches(s.session.actor.role) : false));
  return (
    <li {...li}>
      <button type="button" className="case-row" onClick={() => onOpen(c.id)} data-case-id={c.id}>
        <PriorityBadge priority={c.priority} />
        <span className="case-row-main">
          <strong>
            {c.patientName ?? (watching ? 'Identité masquée' : 'Patient non identifié')}
            {c.hubState ? <HubMark state={c.hubState} /> : null}
          </strong>
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

/**
 * The waiting queue, virtualized: only the rows in view (and a few around) are in the page, so
 * 5,000 waiting cases scroll and update as smoothly as 50.
 */
function VirtualQueue({ cases, now, onOpen }: { cases: CaseSummary[]; now: number; onOpen: (id: string) => void }) {
  const scroller = useRef<HTMLDivElement>(null);
  // eslint-disable-next-line react-hooks/incompatible-library
  const virtual = useVirtualizer({
    count: cases.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => 72,
    overscan: 8,
    getItemKey: (i) => cases[i]!.id,
  });
  // Event → queue committed to the page: measured (devtools, benchmark) whenever a change arrives.
  useLayoutEffect(() => {
    if (performance.getEntriesByName('queue-event', 'mark').length === 0) return;
    performance.measure('queue-render', 'queue-event');
    performance.clearMarks('queue-event');
  }, [cases]);
  // Keyboard: Alt+F lands on the first case; arrows move from case to case (rows out of view are
  // scrolled in first), Entrée opens the one that has the focus.
  const move = (from: number, to: number) => {
    if (to < 0 || to >= cases.length || to === from) return;
    virtual.scrollToIndex(to);
    const focus = (tries: number) => {
      const b = scroller.current?.querySelector<HTMLButtonElement>(`[data-index="${to}"] button`);
      if (b) b.focus();
      else if (tries > 0) requestAnimationFrame(() => focus(tries - 1));
    };
    focus(5);
  };
  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>('[data-index]');
    if (!row) return;
    const i = Number(row.dataset.index);
    const to = e.key === 'ArrowDown' ? i + 1 : e.key === 'ArrowUp' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? cases.length - 1 : null;
    if (to === null) return;
    e.preventDefault();
    move(i, to);
  };
  return (
    <div ref={scroller} className="queue-scroller" onKeyDown={onKeyDown}>
      <ul className="case-list virtual" aria-labelledby="queue-title" aria-rowcount={cases.length} style={{ height: virtual.getTotalSize() }}>
        {virtual.getVirtualItems().map((row) => (
          <CaseRow
            key={row.key}
            data-index={row.index}
            ref={virtual.measureElement}
            style={{ transform: `translateY(${row.start}px)` }}
            c={cases[row.index]!}
            now={now}
            onOpen={onOpen}
            waiting
          />
        ))}
      </ul>
    </div>
  );
}

/** For supervisors: every agent of the center, their state and for how long. */
function AgentsList() {
  const agents = useApp((s) => s.agents);
  const now = useNow(1000);
  return (
    <section aria-label="Agents du centre">
      <h2>
        Agents <span className="count">{agents.filter((a) => a.state !== 'offline').length}</span>
      </h2>
      <ul className="agents">
        {agents.map((a) => (
          <li key={a.userId} className={`agent-${a.state}`}>
            <strong>{a.displayName}</strong>{' '}
            <span>
              {AGENT_STATE_LABELS[a.state]}
              {a.reason ? ` (${PAUSE_REASON_LABELS[a.reason]})` : ''}
            </span>{' '}
            <span className="muted small mono">{waitingTime(a.since, now)}</span>
          </li>
        ))}
      </ul>
    </section>
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
  const role = useApp((s) => s.session?.actor.role);
  const [track, setTrack] = useState<Track | 'all'>('all');
  const [sector, setSector] = useState<string>('all');
  const sectors = useApp((s) => s.directory?.sectors ?? NO_SECTORS);
  const shown = useMemo(
    () => queue.filter((c) => (track === 'all' || c.track === track) && (sector === 'all' || c.sectorId === sector)),
    [queue, track, sector],
  );
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
          <LineQueues />
          <div className="queue-head">
            <h2 id="queue-title" tabIndex={-1}>
              File de régulation <span className="count">{shown.length}</span>
            </h2>
            <label>
              <span className="visually-hidden">Filtrer la file</span>
              <select aria-label="Filtrer la file" value={track} onChange={(e) => setTrack(e.target.value as Track | 'all')}>
                <option value="all">Toute la file</option>
                {TRACKS.map((t) => (
                  <option key={t} value={t}>
                    {TRACK_LABELS[t]}
                  </option>
                ))}
              </select>
            </label>
            {sectors.length ? (
              <label>
                <span className="visually-hidden">Secteur</span>
                <select aria-label="Secteur" value={sector} onChange={(e) => setSector(e.target.value)}>
                  <option value="all">Tous secteurs</option>
                  {sectors.map((s) => (
                    <option key={s.code} value={s.code}>
                      {s.name}
                    </option>
                  ))}
                </select>
              </label>
            ) : null}
          </div>
          {shown.length === 0 ? <p className="muted empty">Aucun dossier en attente.</p> : null}
          <VirtualQueue cases={shown} now={now} onOpen={selectCase} />
          <CallbackList />
          {role === 'supervisor' ? <AgentsList /> : null}
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
