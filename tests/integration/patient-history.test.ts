/** The physician's view of a patient's earlier cases, on a real workstation core and cache. */
import { afterEach, describe, expect, it } from 'vitest';
import type { CaseSummary, RegulationCase } from '../../src-shared/schemas/case.js';
import { WorkstationCore } from '../../src-main/core/workstation-core.js';
import { call } from '../fixtures/sync-harness.js';
import { tempDir } from '../fixtures/tmp.js';

const dirs: { cleanup: () => void }[] = [];
afterEach(() => dirs.splice(0).forEach((d) => d.cleanup()));
const DAY = 24 * 3600_000;

describe('patient history', () => {
  it('lists every earlier case of the patient, beyond 72 hours, by number or by name and birth date', async () => {
    const dir = tempDir();
    dirs.push(dir);
    let clock = Date.UTC(2026, 10, 1, 21, 0);
    const core = WorkstationCore.open({ dataDir: dir.path, now: () => clock });
    await call(core, 'session.login', { displayName: 'Dr Test', role: 'physician', department: '21' });
    const jeanne = { lastName: 'Dupont', firstName: 'Jeanne', birthDate: '1950-03-02' };
    const open = (fields: object) => call<RegulationCase>(core, 'case.open', { line: '116117', fields });
    const old = await open({ callbackPhone: '0612345678', patient: jeanne });
    clock += 10 * DAY;
    const otherNumber = await open({ callbackPhone: '0380000000', patient: jeanne });
    const namesake = await open({ callbackPhone: '0380000001', patient: { ...jeanne, birthDate: '1960-01-01' } });
    clock += DAY;
    const now = await open({ callbackPhone: '06 12 34 56 78', patient: jeanne });
    clock += DAY;
    const later = await open({ callbackPhone: '0612345678', patient: jeanne });

    const history = await call<CaseSummary[]>(core, 'case.patientHistory', { caseId: now.id });
    expect(history.map((c) => c.id)).toEqual([otherNumber.id, old.id]);
    expect(history.map((c) => c.id)).not.toContain(namesake.id);
    expect(history.map((c) => c.id)).not.toContain(later.id);
    // The 72-hour repeat list, by contrast, does not reach the 11-day-old case.
    const repeats = await call<{ repeats: { summary: CaseSummary }[] }>(core, 'case.repeats', { caseId: now.id, callbackPhone: '0612345678', ...jeanne });
    const ids = repeats.repeats.map((r) => r.summary.id);
    expect(ids).toContain(otherNumber.id);
    expect(ids).not.toContain(old.id);
    await core.close();
  });
});
