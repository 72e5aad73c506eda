/**
 * The supervisor's wall screen: readable from 4 metres on a TV with no keyboard. Live from pushed
 * events (calls, agents, cases); today's figures fetched every few seconds; the time of the data
 * always shown, and a banner that cannot be missed when the feed is stale.
 */
import type { ServerState } from '../../../src-shared/schemas/server-state';
import { useEffect, useMemo, useRef, useState } from 'react';
import { isWaiting } from '../../../src-shared/domain/call-log';
import { AGENT_STATE_LABELS, AGENT_STATES, PAUSE_REASON_LABELS, type AgentState } from '../../../src-shared/domain/agent-state';
import { PRIORITIES, type Priority } from '../../../src-shared/domain/codes';
import { ANSWER_TARGETS } from '../../../src-shared/domain/statistics';
import type { TodayFiguresView } from '../../../src-shared/schemas/statistics';
import { useApp } from '../../app/context';
import { useNow } from '../../ui/use-now';
import { HalfHourChart } from './HalfHourChart';

/** Figures older than this, or a link that is down, make the screen say it is stale. */
export const WALL_STALE_MS = 15_000;
const POLL_MS = 5_000;

const duration = (ms: number) => {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')}` : `${m}:${sec}`;
};
const clock = (ms: number, seconds = false) => new Date(ms).toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) });
const percent = (v: number | null) => (v === null ? '—' : `${Math.round(v * 100)} %`);

const PRIORITY_NAMES: Record<Priority, string> = { P0: 'P0 départ réflexe', P1: 'P1 urgence vitale', P2: 'P2 urgent', P3: 'P3 non urgent' };
const STATE_SIGNS: Record<AgentState, string> = { available: '●', busy: '◆', pause: '❚❚', offline: '○' };

function TargetTile({ label, value, target }: { label: string; value: number | null; target: number }) {
  const met = value !== null && value >= target;
  return (
    <section className={`wall-tile ${value === null ? '' : met ? 'wall-ok' : 'wall-bad'}`} aria-label={label}>
      <h2>{label}</h2>
      <p className="wall-big">{percent(value)}</p>
      <p className="wall-sub">
        {value === null ? 'aucun appel encore' : met ? `✓ objectif ${percent(target)} atteint` : `▼ sous l’objectif de ${percent(target)}`}
      </p>
    </section>
  );
}

const SERVER_STATE_LABELS: Record<ServerState['state'], string> = { ok: 'normal', degraded: 'mode dégradé', failover: 'reprise en cours' };

export function WallScreen({ fullscreen }: { fullscreen: boolean }) {
  const bridge = useApp((s) => s.bridge);
  const calls = useApp((s) => s.calls);
  const agents = useApp((s) => s.agents);
  const queue = useApp((s) => s.queue);
  const sync = useApp((s) => s.sync);
  const session = useApp((s) => s.session);
  const setMainView = useApp((s) => s.setMainView);
  const lines = useApp((s) => s.lines.status);
  const linesAt = useApp((s) => s.linesAt);
  const now = useNow(1000);
  const [figures, setFigures] = useState<TodayFiguresView | null>(null);
  const [server, setServer] = useState<ServerState | null>(null);
  const [asOf, setAsOf] = useState<number | null>(null);
  const chartBox = useRef<HTMLDivElement>(null);
  const [size, setSize] = useState<{ w: number; h: number } | null>(null);

  // Today's figures: every few seconds, and soon after the calls change, at most once a second
  // however busy the center is (each pushed change used to cost one server query per screen).
  const loadSoon = useRef<() => void>(() => {});
  useEffect(() => {
    let alive = true;
    let pending: ReturnType<typeof setTimeout> | undefined;
    const load = () => {
      void bridge.invoke('stats.today', {}).then((r) => {
        if (!alive || !r.ok) return;
        setFigures(r.value);
        setAsOf(Date.now());
      });
      // The server side as one state (a failover, a missing database standby): said on the wall.
      void bridge.invoke('server.state', {}).then((r) => {
        if (alive) setServer(r.ok ? r.value : null);
      });
    };
    loadSoon.current = () => {
      pending ??= setTimeout(() => {
        pending = undefined;
        load();
      }, 1_000);
    };
    load();
    const id = setInterval(load, POLL_MS);
    return () => {
      alive = false;
      clearInterval(id);
      clearTimeout(pending);
    };
  }, [bridge]);
  useEffect(() => loadSoon.current(), [calls]);

  // The chart takes the room left in its panel, whatever the screen.
  useEffect(() => {
    const box = chartBox.current;
    if (!box) return;
    const observer = new ResizeObserver(() => setSize({ w: Math.floor(box.clientWidth), h: Math.floor(box.clientHeight) }));
    observer.observe(box);
    return () => observer.disconnect();
  }, []);

  const ringing = useMemo(() => calls.filter((c) => isWaiting(c, now)).sort((a, b) => a.arrivedAt - b.arrivedAt), [calls, now]);
  // With the lines' call distributor, the waiting calls are its queue (the callers who hear the
  // announcement); without it, the calls ringing at the desks.
  const queued = lines.enabled ? lines.lines.reduce((n, l) => n + l.waiting, 0) : ringing.length;
  const longestWait = lines.enabled
    ? queued > 0
      ? Math.max(...lines.lines.map((l) => l.longestWaitMs)) + Math.max(0, now - linesAt)
      : null
    : ringing.length
      ? now - ringing[0]!.arrivedAt
      : null;
  const inProgress = calls.filter((c) => c.status === 'in_progress').length;
  // Those who take calls: a supervisor or an admin logged in is not an agent available for a call.
  const callTakers = agents.filter((a) => a.role === 'arm' || a.role === 'physician');
  const byState = AGENT_STATES.map((state) => ({ state, agents: callTakers.filter((a) => a.state === state) }));
  const byPriority = PRIORITIES.map((p) => {
    const cases = queue.filter((c) => c.priority === p);
    const oldest = cases.reduce<number | null>((m, c) => (c.waitingSince !== null && (m === null || c.waitingSince < m) ? c.waitingSince : m), null);
    return { priority: p, count: cases.length, oldest };
  });
  const linkDown = sync?.enabled === true && sync.connection !== 'online';
  const stale = linkDown || asOf === null || now - asOf > WALL_STALE_MS;

  return (
    <div className={`wall ${fullscreen ? 'wall-fullscreen' : ''}`} data-testid="wall">
      <header className="wall-header">
        <h1>Permanence — salle de régulation{session ? ` · département ${session.department}` : ''}</h1>
        <p className="wall-clock" aria-label="Heure">
          {clock(now)}
        </p>
        <p className="wall-asof" role="status" aria-label="Données à">
          Données à {asOf ? clock(asOf, true) : '—'}
        </p>
        {server ? (
          <p className={`wall-server wall-server-${server.state}`} data-testid="wall-server-state" title={`instance ${server.instance}${server.holder ? `, centre tenu par ${server.holder}` : ''}`}>
            Serveur central : {SERVER_STATE_LABELS[server.state]}
          </p>
        ) : null}
        {!fullscreen ? (
          <button type="button" onClick={() => setMainView('work')}>
            Retour au poste
          </button>
        ) : null}
      </header>
      {stale ? (
        <div className="wall-stale" role="alert">
          ⚠ Données figées{asOf ? ` depuis ${clock(asOf, true)}` : ''} — {linkDown ? 'serveur central injoignable' : 'pas de mise à jour reçue'}
        </div>
      ) : null}

      {server && server.state !== 'ok' ? (
        <div className={server.state === 'failover' ? 'wall-stale' : 'wall-degraded'} role="alert" data-testid="wall-server-alert">
          {server.state === 'failover' ? '⚠' : '▲'} {server.reasons.join(' ')}
        </div>
      ) : null}

      {lines.enabled && lines.recordingFailuresToday > 0 ? (
        <div className="wall-stale" role="alert" data-testid="wall-recording-alert">
          ⚠ {lines.recordingFailuresToday === 1 ? 'Un appel d’aujourd’hui n’a pas été enregistré' : `${lines.recordingFailuresToday} appels d’aujourd’hui n’ont pas été enregistrés`} — prévenez l’exploitation
        </div>
      ) : null}

      <div className="wall-row">
        <section className={`wall-tile ${queued > 0 ? 'wall-attention' : ''}`} aria-label="Appels en attente">
          <h2>Appels en attente</h2>
          <p className="wall-big" data-testid="wall-waiting">
            {queued}
          </p>
          <p className="wall-sub" data-testid="wall-longest-wait">
            {longestWait !== null ? `plus longue : ${duration(longestWait)}` : lines.enabled ? 'personne n’attend' : 'aucun appel ne sonne'}
          </p>
          {lines.enabled && !lines.connected ? <p className="wall-sub wall-warn">⚠ distribution des appels hors service</p> : null}
        </section>
        <section className="wall-tile" aria-label="Appels en cours">
          <h2>Appels en cours</h2>
          <p className="wall-big" data-testid="wall-in-progress">
            {inProgress}
          </p>
          <p className="wall-sub">décrochés, non terminés</p>
        </section>
        <TargetTile label="Décrochés en 30 s" value={figures?.calls.shareWithin30s ?? null} target={ANSWER_TARGETS.within30sShare} />
        <TargetTile label="Décrochés en 60 s" value={figures?.calls.shareWithin60s ?? null} target={ANSWER_TARGETS.within60sShare} />
        <section className="wall-tile" aria-label="Appels abandonnés aujourd’hui">
          <h2>Abandonnés aujourd’hui</h2>
          <p className="wall-big" data-testid="wall-abandoned">
            {lines.enabled ? lines.abandonedToday : (figures?.calls.abandoned ?? '—')}
          </p>
          <p className="wall-sub">sur {lines.enabled ? lines.receivedToday : (figures?.calls.received ?? '—')} appels reçus</p>
        </section>
        {lines.enabled ? (
          <section className={`wall-tile ${lines.callbacksOpen > 0 ? 'wall-attention' : ''}`} aria-label="Appelants à rappeler">
            <h2>À rappeler</h2>
            <p className="wall-big" data-testid="wall-callbacks">
              {lines.callbacksOpen}
            </p>
            <p className="wall-sub">{lines.oldestCallbackAt !== null ? `le plus ancien depuis ${duration(now - lines.oldestCallbackAt)}` : 'liste vide'}</p>
          </section>
        ) : null}
      </div>

      <div className="wall-row wall-row-2">
        <section className="wall-panel" aria-label="Dossiers en attente de régulation">
          <h2>Dossiers en attente de régulation</h2>
          <table className="wall-table">
            <tbody>
              {byPriority.map((p) => (
                <tr key={p.priority} className={`wall-prio wall-${p.priority.toLowerCase()}`}>
                  <th scope="row">
                    <span className={`prio-badge prio-${p.priority}`}>{p.priority}</span> {PRIORITY_NAMES[p.priority].slice(3)}
                  </th>
                  <td className="wall-num">{p.count}</td>
                  <td className="wall-wait">{p.oldest !== null ? `depuis ${duration(now - p.oldest)}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="wall-panel" aria-label="Agents">
          <h2>Agents</h2>
          <ul className="wall-agents">
            {byState.map(({ state, agents: list }) => (
              <li key={state} className={`wall-agent-state wall-state-${state}`}>
                <span className="wall-state-name">
                  {STATE_SIGNS[state]} {AGENT_STATE_LABELS[state]}
                </span>
                <span className="wall-num">{list.length}</span>
                <span className="wall-names">
                  {list
                    .slice(0, 4)
                    .map((a) => `${a.displayName}${a.reason ? ` (${PAUSE_REASON_LABELS[a.reason]})` : ''} ${duration(now - a.since)}`)
                    .join(' · ')}
                  {list.length > 4 ? ` · +${list.length - 4}` : ''}
                </span>
              </li>
            ))}
          </ul>
        </section>
      </div>

      <section className="wall-panel wall-chart-panel" aria-label="Appels par demi-heure">
        <h2>
          Appels par demi-heure — <span className="wall-key-bar">■ aujourd’hui</span> <span className="wall-key-line">- - même jour la semaine dernière</span>
        </h2>
        <div className="wall-chart-box" ref={chartBox}>
          {figures && size && size.h > 80 ? (
            <HalfHourChart today={figures.halfHours.today} lastWeek={figures.halfHours.lastWeek} width={size.w} height={size.h} />
          ) : (
            <p className="wall-sub">{figures ? '' : 'chargement…'}</p>
          )}
        </div>
      </section>
    </div>
  );
}
