/** One contract suite, run through every transport: same answers, same validation, same events. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../src-shared/contract/events.js';
import type { CaseSummary, RegulationCase } from '../../src-shared/schemas/case.js';
import { ipcTransport, memoryTransport, launchCookie, webTransport, type TransportHarness } from '../fixtures/transports.js';
import { isTrustedSenderUrl } from '../../src-main/electron/ipc.js';

const transports = [memoryTransport, webTransport, ipcTransport];

describe.each(transports.map((make) => [make.name.replace('Transport', ''), make] as const))('contract over %s', (_name, make) => {
  let t: TransportHarness;
  beforeAll(async () => {
    t = await make();
  });
  afterAll(() => t.close());

  const call = async <T>(method: string, params: unknown): Promise<T> => {
    const r = await t.bridge.invoke(method as never, params as never);
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
    return r.value as T;
  };

  it('refuses case commands before login', async () => {
    const r = await t.bridge.invoke('case.open', { line: '116117' });
    expect(r.ok || r.error.code).toBe('not_logged_in');
  });

  it('serves no data with nobody logged in: reads, search, history, queue, duty directory, drafts (deny by default)', async () => {
    const id = '01950000-0000-7000-8000-000000000000';
    const reads: [string, unknown][] = [
      ['case.get', { caseId: id }],
      ['case.history', { caseId: id }],
      ['case.recent', { limit: 10 }],
      ['case.summaries', { ids: [id] }],
      ['case.search', { name: 'dupont' }],
      ['case.patientHistory', { caseId: id }],
      ['case.repeats', { callbackPhone: '0612345678' }],
      ['queue.list', { limit: 10 }],
      ['directory.duty', {}],
      ['directory.searchCommunes', { query: 'dijon' }],
      ['draft.get', { caseId: id }],
      ['draft.getTexts', { caseId: id }],
      ['agent.list', {}],
      ['calendar.pdsaAt', { department: '21' }],
    ];
    for (const [method, params] of reads) {
      const r = await t.bridge.invoke(method as never, params as never);
      expect(r.ok || r.error.code, method).toBe('not_logged_in');
    }
    // The login screen's own needs still answer.
    expect((await t.bridge.invoke('system.info', {})).ok).toBe(true);
    expect((await t.bridge.invoke('session.current', {})).ok).toBe(true);
  });

  it('logs in, opens a case, pushes case.changed, and reads it back', async () => {
    const session = await call<{ actor: { role: string } }>('session.login', { displayName: 'Alice Martin', role: 'arm', department: '21' });
    expect(session.actor.role).toBe('arm');
    const seen: EventPayload<'case.changed'>[] = [];
    const off = t.bridge.on('case.changed', (p) => seen.push(p));
    const opened = await call<RegulationCase>('case.open', {
      line: '116117',
      fields: { callbackPhone: '06 12 34 56 78', patient: { lastName: 'Dupont', firstName: 'Jeanne' } },
    });
    expect(opened.fields.callbackPhone).toBe('+33612345678');
    await expect.poll(() => seen.length).toBe(1);
    expect(seen[0]!.summary.id).toBe(opened.id);
    off();
    const got = await call<RegulationCase>('case.get', { caseId: opened.id });
    expect(got).toEqual(opened);
    const history = await call<{ kind: string; actor: { displayName: string }; workstationId: string }[]>('case.history', { caseId: opened.id });
    expect(history.map((e) => e.kind)).toEqual(['case.opened']);
    expect(history[0]!.actor.displayName).toBe('Alice Martin');
    expect(history[0]!.workstationId).toBe(t.core.workstationId);
  });

  it('finds cases by phone however it is typed, and by name prefix without accents', async () => {
    const byPhone = await call<CaseSummary[]>('case.search', { phone: '+33 6 12 34 56 78' });
    expect(byPhone.map((c) => c.patientName)).toContain('DUPONT Jeanne');
    const byName = await call<CaseSummary[]>('case.search', { name: 'dupon' });
    expect(byName).toHaveLength(1);
  });

  it('shows a repeat caller with the earlier case and raises the suggested priority', async () => {
    const r = await call<{ repeats: { summary: CaseSummary; matches: string[]; within24h: boolean }[]; suggestion: { priority: string; raisedForRepeat: boolean } }>(
      'case.repeats',
      { callbackPhone: '06.12.34.56.78', reasonCode: 'FEVER' },
    );
    expect(r.repeats.map((x) => [x.summary.patientName, x.matches, x.within24h])).toEqual([['DUPONT Jeanne', ['phone'], true]]);
    expect(r.suggestion).toMatchObject({ priority: 'P2', raisedForRepeat: true });
    const own = await call<{ repeats: unknown[] }>('case.repeats', { caseId: r.repeats[0]!.summary.id, callbackPhone: '0612345678' });
    expect(own.repeats).toEqual([]);
    const bad = await t.bridge.invoke('case.repeats', { birthDate: '1950-13-45' });
    expect(bad.ok || bad.error.code).toBe('invalid_input');
  });

  it('keeps a form draft until its fields become an event', async () => {
    const [c] = await call<CaseSummary[]>('case.search', { name: 'dupont' });
    const full = await call<RegulationCase>('case.get', { caseId: c!.id });
    expect(await call('draft.get', { caseId: c!.id })).toBeNull();
    await call('draft.save', { caseId: c!.id, baseVersion: full.version, fields: { reasonText: 'toux depuis 3 j' } });
    expect(await call('draft.get', { caseId: c!.id })).toMatchObject({ baseVersion: full.version, fields: { reasonText: 'toux depuis 3 j' } });
    const bad = await t.bridge.invoke('draft.save', { caseId: c!.id, baseVersion: full.version, fields: { callbackPhone: 'abc' } });
    expect(bad.ok || bad.error.code).toBe('invalid_input');
    expect(await call('draft.get', { caseId: c!.id })).toMatchObject({ fields: { reasonText: 'toux depuis 3 j' } });
    await call('case.command', { caseId: c!.id, command: { type: 'update_fields', baseVersion: full.version, changes: { reasonText: 'toux depuis 3 j' } } });
    expect(await call('draft.get', { caseId: c!.id })).toBeNull();
  });

  it('answers domain errors as values, with French messages', async () => {
    const [c] = await call<CaseSummary[]>('case.search', { name: 'dupont' });
    const r = await t.bridge.invoke('case.command', { caseId: c!.id, command: { type: 'send_to_regulation' } });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('incomplete');
      expect(r.error.message).toMatch(/motif d’appel/);
    }
  });

  it('validates every input: unknown method, wrong types, unknown fields, bad phone', async () => {
    const unknown = await t.bridge.invoke('case.delete' as never, {} as never);
    expect(unknown.ok || unknown.error.code).toBe('unknown_method');
    const wrongType = await t.bridge.invoke('case.get', { caseId: 42 } as never);
    expect(wrongType.ok || wrongType.error.code).toBe('invalid_input');
    const extra = await t.bridge.invoke('case.open', { line: '116117', sneaky: true } as never);
    expect(extra.ok || extra.error.code).toBe('invalid_input');
    const badPhone = await t.bridge.invoke('case.open', { line: '116117', fields: { callbackPhone: '12' } });
    expect(badPhone.ok || badPhone.error.code).toBe('invalid_input');
    // Nothing was written by the refused calls.
    const info = await call<{ casesInCache: number }>('system.info', {});
    expect(info.casesInCache).toBe(1);
  });

  it('lists the queue by priority then waiting time', async () => {
    const full = (priority: string, name: string) => ({
      line: '116117',
      fields: {
        callbackPhone: '0380000000',
        patient: { lastName: name, ageYears: 40 },
        location: { inseeCode: '21231' },
        reasonCode: 'FEVER',
        priority,
      },
    });
    for (const [p, n] of [['P3', 'Trois'], ['P2', 'Deux'], ['P3', 'TroisBis']] as const) {
      const c = await call<RegulationCase>('case.open', full(p, n));
      expect(c.fields.location?.communeName).toBe('Dijon');
      await call('case.command', { caseId: c.id, command: { type: 'send_to_regulation' } });
    }
    const queue = await call<CaseSummary[]>('queue.list', {});
    expect(queue.map((c) => c.patientName)).toEqual(['DEUX', 'TROIS', 'TROISBIS']);
  });

  it('serves reference data: communes and the PDSA calendar', async () => {
    const communes = await call<{ name: string; inseeCode: string }[]>('directory.searchCommunes', { query: 'st etienne', limit: 3 });
    expect(communes[0]).toMatchObject({ name: 'Saint-Étienne', inseeCode: '42218' });
    const pdsa = await call<{ inPdsa: boolean; period: { kind: string } }>('calendar.pdsaAt', {
      department: '21',
      at: Date.UTC(2026, 11, 25, 10, 0),
    });
    expect(pdsa.period.kind).toBe('public_holiday');
  });

  it('after logout, the workstation serves nothing of what it holds', async () => {
    const [someone] = await call<CaseSummary[]>('case.recent', { limit: 1 });
    expect(someone).toBeDefined();
    await call('session.logout', {});
    for (const [method, params] of [
      ['case.get', { caseId: someone!.id }],
      ['case.recent', { limit: 10 }],
      ['queue.list', { limit: 10 }],
      ['case.search', { name: 'dupon' }],
      ['directory.duty', {}],
    ] as const) {
      const r = await t.bridge.invoke(method as never, params as never);
      expect(r.ok || r.error.code, method).toBe('not_logged_in');
    }
  });
});

describe('web host boundary', () => {
  let t: Awaited<ReturnType<typeof webTransport>>;
  beforeAll(async () => {
    t = await webTransport();
  });
  afterAll(() => t.close());

  let cookie = '';
  beforeAll(async () => {
    cookie = await launchCookie(t.host);
  });
  const rawSocket = async (opts: { cookie?: string; origin?: string; host?: string }) => {
    const { WebSocket } = await import('ws');
    const ws = new WebSocket(`ws://127.0.0.1:${t.host.port}/bridge`, {
      origin: opts.origin ?? t.host.url,
      headers: { cookie: opts.cookie ?? cookie, ...(opts.host ? { host: opts.host } : {}) },
    });
    return new Promise<import('ws').WebSocket>((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  };
  const exchange = (ws: import('ws').WebSocket, data: string | Buffer) =>
    new Promise<{ type: string; id: number | null; result: { ok: boolean; error?: { code: string } } }>((resolve) => {
      ws.once('message', (m) => resolve(JSON.parse(m.toString())));
      ws.send(data);
    });

  it('refuses a socket without the launch cookie, whatever Origin a local process claims; a foreign origin; a foreign Host (DNS rebinding)', async () => {
    await expect(rawSocket({ cookie: '' })).rejects.toThrow('HTTP 403');
    await expect(rawSocket({ cookie: 'permanence_bridge=forged' })).rejects.toThrow('HTTP 403');
    await expect(rawSocket({ origin: 'http://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(rawSocket({ host: `evil.example:${t.host.port}` })).rejects.toThrow('HTTP 403');
  });

  it('spends a launch link once: a second client cannot use it again', async () => {
    const link = t.host.launchUrl();
    expect(await launchCookie(t.host, link)).toMatch(/^permanence_bridge=/);
    await expect(launchCookie(t.host, link)).rejects.toThrow('HTTP 403');
    const first = await fetch(t.host.launchUrl(), { redirect: 'manual' });
    expect(first.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
  });

  it('answers malformed frames with a typed error and keeps serving', async () => {
    const ws = await rawSocket({});
    expect((await exchange(ws, 'not json')).result.error?.code).toBe('invalid_frame');
    expect((await exchange(ws, JSON.stringify({ type: 'request', id: 'x', method: 1 }))).result.error?.code).toBe('invalid_frame');
    const ok = await exchange(ws, JSON.stringify({ type: 'request', id: 7, method: 'system.info', params: {} }));
    expect(ok).toMatchObject({ id: 7, result: { ok: true } });
    ws.close();
  });

  it('closes a connection that sends an oversized frame, and serves the next one', async () => {
    const ws = await rawSocket({});
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('x'.repeat(300 * 1024));
    expect(await closed).toBe(1009);
    const again = await rawSocket({});
    expect((await exchange(again, JSON.stringify({ type: 'request', id: 1, method: 'system.info', params: {} }))).result.ok).toBe(true);
    again.close();
  });

  it('serves the page only to the launched browser, with a strict CSP and no secret in it; refuses path traversal; a malformed address is a 400', async () => {
    expect((await fetch(`${t.host.url}/`)).status).toBe(403);
    const res = await fetch(`${t.host.url}/`, { headers: { cookie } });
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    const page = await res.text();
    expect(page).toContain('<title>Permanence</title>');
    expect(page).not.toContain('permanence-token');
    expect(page).not.toContain(cookie.split('=')[1]);
    const traversal = await fetch(`${t.host.url}/..%2f..%2f..%2f..%2fetc%2fhost.conf`, { headers: { cookie } });
    expect(traversal.status).toBe(403);
    // Extension-less paths are client-side routes: they get the app page, never a file outside it.
    const route = await fetch(`${t.host.url}/..%2f..%2fetc%2fpasswd`, { headers: { cookie } });
    expect(await route.text()).not.toContain('root:');
    expect((await fetch(`${t.host.url}/%E0%A4%A`)).status).toBe(400);
    // A page fetched under another host name (DNS rebinding): refused (fetch cannot set Host; http can).
    const { request } = await import('node:http');
    const rebound = await new Promise<number>((resolve, reject) =>
      request({ host: '127.0.0.1', port: t.host.port, path: '/', headers: { host: `rebound.example:${t.host.port}`, cookie } }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      })
        .on('error', reject)
        .end(),
    );
    expect(rebound).toBe(400);
  });
});

describe('electron IPC adapter boundary', () => {
  it('refuses calls from a page that is not the app, with the rule the shell ships', async () => {
    for (const url of ['https://evil.example/', 'app://permanence.evil/index.html', 'app://other/index.html', 'file:///tmp/index.html', 'http://127.0.0.1:5173/', '', 'not a url']) {
      const t = await ipcTransport(url);
      const r = await t.bridge.invoke('system.info', {});
      expect(r.ok || r.error.code, url).toBe('forbidden');
      await t.close();
    }
    const app = await ipcTransport('app://permanence/index.html#/case');
    expect((await app.bridge.invoke('system.info', {})).ok).toBe(true);
    await app.close();
  });

  it('trusts a dev server only when one is named, and only its origin', () => {
    expect(isTrustedSenderUrl('http://127.0.0.1:5173/')).toBe(false);
    expect(isTrustedSenderUrl('http://127.0.0.1:5173/', 'http://127.0.0.1:5173')).toBe(true);
    expect(isTrustedSenderUrl('http://127.0.0.1:5174/', 'http://127.0.0.1:5173')).toBe(false);
  });
});
