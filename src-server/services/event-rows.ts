import type { ServerEvent } from '../../src-shared/sync-protocol/messages.js';

export interface EventRow {
  seq: number;
  id: string;
  case_id: string;
  kind: string;
  payload: string;
  actor_user: string;
  actor_name: string;
  actor_role: string;
  workstation: string;
  client_time: number;
  server_time: number;
}

export function eventFromRow(r: EventRow): ServerEvent {
  return {
    id: r.id,
    caseId: r.case_id,
    kind: r.kind,
    payload: JSON.parse(r.payload),
    actor: { userId: r.actor_user, displayName: r.actor_name, role: r.actor_role },
    workstationId: r.workstation,
    clientTime: Number(r.client_time),
    localSeq: null,
    serverSeq: Number(r.seq),
    serverTime: Number(r.server_time),
  } as ServerEvent;
}
