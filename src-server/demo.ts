import type { TenantSeed } from './bootstrap.js';

/** The demo center of `npm start` (embedded defaults). Passwords are for local demonstration only. */
export const DEMO_TENANT: TenantSeed = {
  id: 'demo',
  name: 'Centre de régulation de démonstration (Côte-d’Or)',
  department: '21',
  users: [
    { login: 'arm', displayName: 'Alice Martin (ARM)', role: 'arm', password: 'demo-arm-2026' },
    { login: 'medecin', displayName: 'Dr Claire Roux', role: 'physician', password: 'demo-medecin-2026' },
    { login: 'superviseur', displayName: 'Sam Leroy (superviseur)', role: 'supervisor', password: 'demo-superviseur-2026' },
    { login: 'admin', displayName: 'Admin démo', role: 'admin', password: 'demo-admin-2026' },
  ],
};
