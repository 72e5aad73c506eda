import type { TenantSeed } from './bootstrap.js';
import { luhnKey } from '../src-shared/domain/identifiers.js';

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

/** Sectors and effector doctors of the demo center (RPPS with a valid key, made up). */
export const DEMO_SECTORS = [
  { code: 'DIJ', name: 'Dijon métropole', communes: ['21231', '21617'], adjacent: ['BEA'] },
  { code: 'BEA', name: 'Beaune et côte', communes: ['21054'], adjacent: ['DIJ'] },
  { code: 'MON', name: 'Montbard', communes: ['21425'] },
];

function demoRpps(n: number): string {
  const body = `1099${String(n).padStart(6, '0')}`;
  return body + luhnKey(body);
}

const demoDoctor = (n: number, firstName: string, lastName: string, sector: string, inseeCode: string, address: string, surnombre = false) => ({
  id: demoRpps(n),
  rpps: demoRpps(n),
  lastName,
  firstName,
  profession: '10' as const,
  specialty: 'SM54',
  phone: `+3361234${String(n).padStart(4, '0')}`,
  sectors: [sector],
  structures: [],
  places: [{ id: 'cab', kind: 'cabinet' as const, name: `Cabinet du Dr ${lastName}`, address, inseeCode }],
  participation: { cascade: true, agenda: true, onCallRota: true, surnombre, visits: true, consultations: true },
});

export const DEMO_EFFECTORS = [
  demoDoctor(1, 'Hélène', 'Garnier', 'DIJ', '21231', '12 rue de la Liberté, Dijon'),
  demoDoctor(2, 'Marc', 'Bonnet', 'DIJ', '21231', '8 rue Chabot-Charny, Dijon', true),
  demoDoctor(3, 'Inès', 'Morel', 'DIJ', '21617', '3 rue de Velars, Talant'),
  demoDoctor(4, 'Paul', 'Girard', 'BEA', '21054', '5 place Carnot, Beaune'),
  demoDoctor(5, 'Nadia', 'Lopez', 'MON', '21425', '2 rue Buffon, Montbard'),
];
/** Every demo effector logs in to /effecteur/ with their RPPS and this password. */
export const DEMO_EFFECTOR_PASSWORD = 'demo-effecteur-2026';
