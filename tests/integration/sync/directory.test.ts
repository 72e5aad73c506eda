/**
 * The duty directory through the real server: an admin imports CSV files on one workstation,
 * every workstation of the center receives them, cases get their PDSA sector, and bad files or
 * unauthorised imports change nothing.
 */
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from '../../fixtures/cleanups.js';
import type { Directory } from '../../../src-shared/schemas/directory.js';
import type { RegulationCase } from '../../../src-shared/schemas/case.js';
import { call, openWorkstation, rawLogin, startTestServer, TENANT, waitFor, type Workstation } from '../../fixtures/sync-harness.js';

const { track } = closeAfterEach();

const SECTORS = 'secteur;nom;insee\nDIJ;Dijon agglomération;21231\nDIJ;Dijon agglomération;21617\nBEA;Beaune et côte;21054\n';
const ROTA = 'secteur;debut;fin;medecin;telephone;rpps;mode\nDIJ;24/12/2026 20:00;25/12/2026 08:00;Dr Lambert;06 11 22 33 44;;visite\n';


describe('duty directory', () => {
  it('an admin’s import reaches every workstation; cases get their sector', async () => {
    const ts = track(await startTestServer('postgres'));
    const admin = track(await openWorkstation(ts.url, { login: 'admin1' }));
    const arm: Workstation = track(await openWorkstation(ts.url, { login: 'arm1' }));
    await waitFor('online', () => [admin, arm].every((w) => w.core.syncStatus().connection === 'online'));

    const r = await call<{ version: number; rows: number }>(admin.core, 'directory.import', { kind: 'sectors', csv: SECTORS });
    expect(r).toEqual({ version: 1, rows: 2 });
    await call(admin.core, 'directory.import', { kind: 'onCall', csv: ROTA });
    await waitFor('directory on the ARM workstation', async () => (await call<Directory>(arm.core, 'directory.duty', {})).version === 2);
    const dir = await call<Directory>(arm.core, 'directory.duty', {});
    expect(dir.sectors.map((s) => [s.code, s.communes])).toEqual([
      ['DIJ', ['21231', '21617']],
      ['BEA', ['21054']],
    ]);
    expect(dir.onCall[0]).toMatchObject({ sectorCode: 'DIJ', doctorName: 'Dr Lambert', phone: '+33611223344', mode: 'visit' });

    const c = await call<RegulationCase>(arm.core, 'case.open', { line: '116117', fields: { location: { inseeCode: '21617' } } });
    expect(c.fields.location).toMatchObject({ inseeCode: '21617', sectorId: 'DIJ' });

    // The import log keeps who did what.
    const { rows } = await ts.db.query<{ kind: string; row_count: number; imported_by: string }>(
      'SELECT kind, row_count, imported_by FROM directory_imports WHERE tenant = $1 ORDER BY version',
      [TENANT],
    );
    expect(rows).toEqual([
      { kind: 'sectors', row_count: 2, imported_by: 'cote-dor:admin1' },
      { kind: 'onCall', row_count: 1, imported_by: 'cote-dor:admin1' },
    ]);
  });

  it('a bad file, a non-admin and a rota for unknown sectors change nothing', async () => {
    const ts = track(await startTestServer('postgres'));
    const admin = track(await openWorkstation(ts.url, { login: 'admin1' }));
    const arm = track(await openWorkstation(ts.url, { login: 'arm1' }));
    await waitFor('online', () => [admin, arm].every((w) => w.core.syncStatus().connection === 'online'));

    const bad = await admin.core.registry.call('directory.import', { kind: 'sectors', csv: SECTORS + 'XX;Ailleurs;99999\n' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.error.message).toBe('Fichier refusé, rien n’a été importé : 1 erreur.');
      expect(bad.error.details).toEqual({ lines: [{ line: 5, message: 'commune inconnue (code INSEE « 99999 »)' }] });
    }
    const notAdmin = await arm.core.registry.call('directory.import', { kind: 'sectors', csv: SECTORS });
    expect(!notAdmin.ok && notAdmin.error.code).toBe('forbidden');
    expect((await call<Directory>(admin.core, 'directory.duty', {})).version).toBe(0);

    // The server checks again, whoever calls it.
    const armToken = await rawLogin(ts.url, 'arm1');
    const adminToken = await rawLogin(ts.url, 'admin1');
    const put = (token: string, body: unknown) =>
      fetch(`${ts.url}/api/directory`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await put(armToken, { kind: 'sectors', rows: [] })).status).toBe(403);
    const wrong = await put(adminToken, { kind: 'sectors', rows: [{ code: 'DIJ', name: 'Dijon', communes: ['nope'] }] });
    expect(wrong.status).toBe(400);
    const orphan = await put(adminToken, { kind: 'onCall', rows: [{ sectorCode: 'ZZZ', start: 1, end: 2, doctorName: 'Dr X', phone: '+33611223344', mode: 'visit' }] });
    expect(orphan.status).toBe(400);
    expect(((await orphan.json()) as { error: { message: string } }).error.message).toContain('Secteurs inconnus : ZZZ');
    const { rows } = await ts.db.query<{ n: number }>('SELECT count(*)::int AS n FROM directories WHERE tenant = $1', [TENANT]);
    expect(rows[0]!.n).toBe(0);
  });
});
