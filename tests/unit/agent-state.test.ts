import { describe, expect, it } from 'vitest';
import { nextAgentStatus, type AgentStatus } from '../../src-shared/domain/agent-state.js';

const T = 1_000_000;
const available: AgentStatus = { state: 'available', reason: null, since: 0 };

describe('agent state', () => {
  it('busy during a call and its wrap-up, available after it', () => {
    const onCall = nextAgentStatus(available, { type: 'call_started' }, T);
    expect(onCall).toEqual({ state: 'busy', reason: null, since: T });
    const ended = nextAgentStatus(onCall, { type: 'call_ended' }, T + 60_000);
    expect(ended).toBe(onCall);
    expect(nextAgentStatus(ended, { type: 'wrap_up_over' }, T + 90_000)).toEqual({ state: 'available', reason: null, since: T + 90_000 });
  });

  it('a pause chosen during the wrap-up is kept when it ends', () => {
    const onCall = nextAgentStatus(available, { type: 'call_started' }, T);
    const paused = nextAgentStatus(onCall, { type: 'pause', reason: 'meal' }, T + 70_000);
    expect(paused).toEqual({ state: 'pause', reason: 'meal', since: T + 70_000 });
    expect(nextAgentStatus(paused, { type: 'wrap_up_over' }, T + 90_000)).toBe(paused);
  });

  it('keeps the time in state when nothing changes', () => {
    const paused = nextAgentStatus(available, { type: 'pause', reason: 'break' }, T);
    expect(nextAgentStatus(paused, { type: 'pause', reason: 'break' }, T + 5_000)).toBe(paused);
    expect(nextAgentStatus(paused, { type: 'pause', reason: 'meal' }, T + 5_000).since).toBe(T + 5_000);
  });
});
