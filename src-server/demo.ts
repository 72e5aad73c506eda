import type { TenantSeed } from './bootstrap.js';

/** The demo center of `npm start` (embedded defaults). Passwords are for local demonstration only. */
export const DEMO_TENANT: TenantSeed = {
  id: 'demo',
  name: 'Centre de régulation de démonstration (Côte-d’Or)',
  department: '21',
  // The project's local Kamailio (scripts/services.sh); without it the softphone says it is down.
  sip: { wsUrl: process.env.PERMANENCE_SIP_WS_URL ?? 'ws://127.0.0.1:8088', domain: process.env.PERMANENCE_SIP_DOMAIN ?? '127.0.0.1' },
  users: [
    { login: 'arm', displayName: 'Alice Martin (ARM)', role: 'arm', password: 'demo-arm-2026', sip: { username: 'arm1', password: 'arm1pass' } },
    { login: 'medecin', displayName: 'Dr Claire Roux', role: 'physician', password: 'demo-medecin-2026', sip: { username: 'mrl1', password: 'mrl1pass' } },
    { login: 'superviseur', displayName: 'Sam Leroy (superviseur)', role: 'supervisor', password: 'demo-superviseur-2026' },
    { login: 'admin', displayName: 'Admin démo', role: 'admin', password: 'demo-admin-2026' },
  ],
};
