/**
 * An agent's state, as supervisors see it: available, busy (on a call or in its wrap-up), on pause
 * (with a reason), offline. Changed by the user and by the phone: busy while a call is up, back
 * to available once the wrap-up time after it has passed, unless the user chose a pause meanwhile.
 */
export const AGENT_STATES = ['available', 'busy', 'pause', 'offline'] as const;
export type AgentState = (typeof AGENT_STATES)[number];
export const AGENT_STATE_LABELS: Record<AgentState, string> = {
  available: 'Disponible',
  busy: 'Occupé',
  pause: 'En pause',
  offline: 'Hors ligne',
};

export const PAUSE_REASONS = ['break', 'meal', 'training', 'admin', 'other', 'unanswered'] as const;
/** What an agent picks; 'unanswered' is set by the call distributor, not chosen. */
export const CHOSEN_PAUSE_REASONS = ['break', 'meal', 'training', 'admin', 'other'] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];
export const PAUSE_REASON_LABELS: Record<PauseReason, string> = {
  break: 'Pause courte',
  meal: 'Repas',
  training: 'Formation',
  admin: 'Tâche administrative',
  other: 'Autre',
  unanswered: 'Absent : appel présenté non décroché',
};

/** Seconds of wrap-up after a call before an agent is available again. */
export const DEFAULT_WRAP_UP_SECONDS = 30;

export interface AgentStatus {
  state: AgentState;
  reason: PauseReason | null;
  since: number;
}

export type AgentInput =
  | { type: 'choose'; state: 'available' | 'offline' }
  | { type: 'pause'; reason: PauseReason }
  | { type: 'call_started' }
  | { type: 'call_ended' }
  | { type: 'wrap_up_over' };

/**
 * The next status, or the same object when nothing changes. A call makes a pausing agent busy
 * too (they answered); the end of the wrap-up only frees an agent still busy from that call.
 */
export function nextAgentStatus(current: AgentStatus, input: AgentInput, now: number): AgentStatus {
  const to = (state: AgentState, reason: PauseReason | null = null): AgentStatus =>
    state === current.state && reason === current.reason ? current : { state, reason, since: now };
  switch (input.type) {
    case 'choose':
      return to(input.state);
    case 'pause':
      return to('pause', input.reason);
    case 'call_started':
      return to('busy');
    case 'call_ended':
      // Still busy during the wrap-up; the timer's end sets it free.
      return current;
    case 'wrap_up_over':
      return current.state === 'busy' ? to('available') : current;
  }
}
