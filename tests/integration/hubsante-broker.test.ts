/**
 * The Hub Santé link against a real broker on loopback: the second RabbitMQ node with TLS 1.2,
 * client certificates and EXTERNAL authentication (scripts/hubsante-broker.sh), the Hub's topology
 * and the project's dispatcher stub applying the Hub's checks. Two regulation servers, a liberal
 * center (fr.health.snp210) and a SAMU (fr.health.samu210), each on its own PostgreSQL database,
 * hand cases over both ways; scripted partners on raw AMQP play the cases a server cannot.
 * Everything in one file, in order: the broker restart at the end would disturb other files.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegulationCaseSchema, type RegulationCase } from '../../src-shared/schemas/case.js';
import { PG_ADMIN_URL, startTestServer, TENANT, OTHER_TENANT, TOKEN_SECRET, waitFor, type TestServer } from '../fixtures/sync-harness.js';
import { openPostgres } from '../../src-server/db/sql.js';
import { startServer } from '../../src-server/server.js';
import { HubDispatcherStub } from '../fixtures/hub-dispatcher.js';
import { act, caseUnderRegulation, connectAs, ensureHubBroker, hubBroker, hubConfig, HUB_VHOST, message, partnerCase, physician, ScriptedPartner } from '../fixtures/hub.js';
import { uuidFrom } from '../../src-server/hubsante/hub-service.js';
import { buildEnvelope } from '../../src-shared/domain/hubsante-envelope.js';

const LIBERAL = 'fr.health.snp210';
const SAMU = 'fr.health.samu210';
let stub: HubDispatcherStub;
let liberal: TestServer;
let samu: TestServer;

async function caseOf(s: TestServer, id: string, tenant = TENANT): Promise<RegulationCase | undefined> {
  const { rows } = await s.db.query<{ data: string }>('SELECT data FROM cases WHERE tenant = $1 AND id = $2', [tenant, id]);
  // Parsed with the schema every workstation applies: a projection it would refuse fails here.
  return rows[0] ? RegulationCaseSchema.parse(JSON.parse(rows[0].data)) : undefined;
}

async function cases(s: TestServer, tenant = TENANT): Promise<RegulationCase[]> {
  const { rows } = await s.db.query<{ data: string }>('SELECT data FROM cases WHERE tenant = $1 ORDER BY id', [tenant]);
  return rows.map((r) => RegulationCaseSchema.parse(JSON.parse(r.data)));
}

beforeAll(async () => {
  ensureHubBroker();
  stub = new HubDispatcherStub();
  await stub.start();
  // Empty what earlier runs may have left for these identities.
  for (const id of [LIBERAL, SAMU, 'fr.health.test.ptfsas', 'fr.health.snp990', 'fr.health.samu990']) await (await ScriptedPartner.open(id)).close();
  liberal = await startTestServer('postgres', {
    hubsante: [hubConfig(TENANT, LIBERAL, SAMU), hubConfig(OTHER_TENANT, 'fr.health.snp990', 'fr.health.samu990', { ackAlertSeconds: 1 })],
    hubTickMs: 200,
  });
  samu = await startTestServer('postgres', { hubsante: [hubConfig(TENANT, SAMU, LIBERAL)], hubTickMs: 200 });
  await waitFor('both links connected', () => liberal.server.hub(TENANT)!.link.connected && samu.server.hub(TENANT)!.link.connected);
}, 90_000);

afterAll(async () => {
  await liberal?.close();
  await samu?.close();
  await stub?.stop();
});

describe('two regulation servers over the loopback Hub', () => {
  it('a liberal physician transfers a case to the SAMU: it arrives complete, the SAMU accepts, the sender sees every step', async () => {
    const id = await caseUnderRegulation(liberal.server, TENANT, 'Lefebvre');
    expect((await act(liberal.server, TENANT, id, { type: 'transfer_samu', reason: 'douleur thoracique, suspicion SCA' }, physician())).status).toBe('accepted');

    // The SAMU's server has it in its queue, marked as handed over to it, with what we knew.
    let received: RegulationCase | undefined;
    await waitFor('case at the SAMU', async () => (received = (await cases(samu)).find((c) => c.fields.patient?.lastName === 'Lefebvre')) !== undefined);
    expect(received!.status).toBe('waiting_regulation');
    expect(received!.hub).toMatchObject({ peer: LIBERAL, owner: SAMU, createdBy: 'peer', handOver: 'to_us_pending' });
    expect(received!.fields).toMatchObject({ callbackPhone: '0612345678', priority: 'P2', location: { inseeCode: '21231', communeName: 'Dijon', address: '12 rue des Forges' }, patient: { lastName: 'Lefebvre', firstName: 'Paul', ageYears: 54, sex: 'M' } });

    // The liberal case: published, then integrated by the SAMU (its RC-REF), hand-over pending.
    await waitFor('integrated', async () => (await caseOf(liberal, id))?.hub?.messages[0]?.state === 'integrated');
    const sent = (await caseOf(liberal, id))!;
    expect(sent.status).toBe('transferred_samu');
    expect(sent.hub).toMatchObject({ peer: SAMU, owner: SAMU, createdBy: 'us', handOver: 'to_peer_pending' });
    expect(Object.keys(sent.hub!.messages[0]!.steps!)).toEqual(expect.arrayContaining(['published', 'integrated']));

    // The SAMU regulator accepts: the liberal side reads the functional acknowledgement.
    expect((await act(samu.server, TENANT, received!.id, { type: 'answer_hand_over', accept: true }, physician(2))).status).toBe('accepted');
    await waitFor('accepted at the sender', async () => (await caseOf(liberal, id))?.hub?.handOver === 'to_peer_accepted');
    // Exactly one RC-REF for each message each side received.
    const acks = await liberal.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM hub_outbox WHERE tenant = $1 AND use_case = 'reference'`, [TENANT]);
    expect(acks.rows[0]!.n).toBe(1);
  });

  it('the SAMU hands a case to liberal regulation; the liberal regulator refuses it and the SAMU gets it back', async () => {
    const id = await caseUnderRegulation(samu.server, TENANT, 'Nguyen');
    await act(samu.server, TENANT, id, { type: 'transfer_samu', reason: 'pas d’urgence vitale, relève de la PDSA' }, physician());
    let handed: RegulationCase | undefined;
    await waitFor('case in the liberal queue', async () => (handed = (await cases(liberal)).find((c) => c.fields.patient?.lastName === 'Nguyen')) !== undefined);
    expect(handed!.hub?.handOver).toBe('to_us_pending');
    expect(handed!.track).toBe('liberal');
    const refused = await act(liberal.server, TENANT, handed!.id, { type: 'answer_hand_over', accept: false }, physician());
    expect(refused.status).toBe('rejected');
    expect((await act(liberal.server, TENANT, handed!.id, { type: 'answer_hand_over', accept: false, reason: 'patient déjà adressé aux urgences' }, physician())).status).toBe('accepted');
    await waitFor('back at the SAMU', async () => (await caseOf(samu, id))?.hub?.handOver === 'to_peer_refused');
    const back = (await caseOf(samu, id))!;
    expect(back.status).toBe('waiting_regulation');
    expect(back.hub!.owner).toBe(SAMU);
    expect((await caseOf(liberal, handed!.id))!.status).toBe('transferred_samu');
  });

  it('later changes flow as updates: a note of the SAMU lands in the liberal timeline', async () => {
    const id = await caseUnderRegulation(samu.server, TENANT, 'Garnier');
    await act(samu.server, TENANT, id, { type: 'transfer_samu', reason: 'PDSA' }, physician());
    // At once, before anything came back: the case knows it is shared from the transfer's own commit.
    await act(samu.server, TENANT, id, { type: 'add_note', text: 'Rappel de la fille : allergie à la pénicilline' }, physician());
    let handed: RegulationCase | undefined;
    await waitFor('handed', async () => (handed = (await cases(liberal)).find((c) => c.fields.patient?.lastName === 'Garnier')) !== undefined);
    await waitFor('note received', async () => (await caseOf(liberal, handed!.id))?.notes.some((n) => n.text.includes('pénicilline')) === true);
    const note = (await caseOf(liberal, handed!.id))!.notes.find((n) => n.text.includes('pénicilline'))!;
    expect(note.role).toBe('hub');
  });
});

/** The use-case object of a received envelope. */
const inner = (env: Record<string, any>) => env.content[0].jsonContent.embeddedJsonContent.message; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A case of the scripted SAMU of the Jura, with a SAMU number we do not model. */
const samuCase = (caseId: string, name: string) =>
  partnerCase(caseId, { owner: 'fr.health.snp990', lastName: name, extra: { additionalInformation: { customMap: [{ key: 'dossierSamu', label: 'Numéro SAMU', value: 'S-2026-0042' }] } } });

describe('nothing lost, nothing twice (scripted SAMU fr.health.samu990 → liberal center of the Jura)', () => {
  let partner: ScriptedPartner;
  beforeAll(async () => {
    partner = await ScriptedPartner.open('fr.health.samu990');
  });
  afterAll(async () => partner?.close());

  it('a message delivered twice creates one case and gets exactly one RC-REF; the original message stays attached', async () => {
    const hubCaseId = `fr.health.samu990.DRFR1539A26330${Date.now() % 100000}`;
    const m = message('fr.health.samu990', 'fr.health.snp990', 'Report', 'createCaseHealth', samuCase(hubCaseId, 'Roux'));
    await partner.publish(m);
    await partner.publish(m);
    const caseId = uuidFrom(`case|${OTHER_TENANT}|${hubCaseId}`);
    await waitFor('case created', async () => (await caseOf(liberal, caseId, OTHER_TENANT)) !== undefined);
    const distributionId = `fr.health.samu990_${m.uuid}`;
    await waitFor('RC-REF received', () => partner.on('ack').some((a) => inner(a).reference?.distributionID === distributionId));
    await new Promise((r) => setTimeout(r, 500));
    expect(partner.on('ack').filter((a) => inner(a).reference?.distributionID === distributionId)).toHaveLength(1);
    expect(inner(partner.on('ack').find((a) => inner(a).reference?.distributionID === distributionId)!).reference.step).toBe('INTEGRE');
    expect((await cases(liberal, OTHER_TENANT)).filter((c) => c.hub?.caseId === hubCaseId)).toHaveLength(1);
    // The second delivery is the same message: acknowledged, not refused as a second case.
    expect(partner.on('info').filter((e) => inner(e).error?.referencedDistributionID === distributionId)).toHaveLength(0);
    expect((await liberal.server.hub(OTHER_TENANT)!.quarantined()).map((q) => q.distributionId)).not.toContain(distributionId);
    const journal = await liberal.server.hub(OTHER_TENANT)!.journalOf(caseId);
    const original = journal.find((j) => j.direction === 'in' && j.distributionId === distributionId)!;
    expect(inner(original.body as Record<string, unknown>).createCaseHealth.additionalInformation.customMap[0].value).toBe('S-2026-0042');
    // Two deliveries journaled (append-only), one applied.
    expect(journal.filter((j) => j.distributionId === distributionId)).toHaveLength(2);
    await expect(liberal.db.query('DELETE FROM hub_journal')).rejects.toThrow(/append-only/);
  });

  it('the same case sent again under a new message is refused with 701 and kept in quarantine', async () => {
    const hubCaseId = `fr.health.samu990.DRFR1539A26330${(Date.now() % 100000) + 1}`;
    await partner.publish(message('fr.health.samu990', 'fr.health.snp990', 'Report', 'createCaseHealth', samuCase(hubCaseId, 'Petit')));
    await waitFor('first', async () => (await caseOf(liberal, uuidFrom(`case|${OTHER_TENANT}|${hubCaseId}`), OTHER_TENANT)) !== undefined);
    const again = message('fr.health.samu990', 'fr.health.snp990', 'Report', 'createCaseHealth', samuCase(hubCaseId, 'Petit'));
    await partner.publish(again);
    await waitFor('RS-ERROR 701', () => partner.on('info').some((e) => inner(e).error?.referencedDistributionID === `fr.health.samu990_${again.uuid}`));
    const error = inner(partner.on('info').find((e) => inner(e).error?.referencedDistributionID === `fr.health.samu990_${again.uuid}`)!).error;
    expect(error.errorCode).toEqual({ statusCode: 701, statusString: 'CASE_ALREADY_EXISTS' });
    const q = await liberal.server.hub(OTHER_TENANT)!.quarantined();
    expect(q.find((i) => i.distributionId === `fr.health.samu990_${again.uuid}`)).toMatchObject({ errorCode: 701, sender: 'fr.health.samu990' });
  });

  it('thirty cases at once, integrated in parallel and out of order: each answered once, none left unacknowledged on the broker', async () => {
    const stamp = Date.now() % 100000;
    const sent = Array.from({ length: 30 }, (_, i) => message('fr.health.samu990', 'fr.health.snp990', 'Report', 'createCaseHealth', samuCase(`fr.health.samu990.DRFR1539C${stamp}${String(i).padStart(3, '0')}`, `Lot${i}`)));
    await Promise.all(sent.map((m) => partner.publish(m)));
    const ids = new Set(sent.map((m) => `fr.health.samu990_${m.uuid}`));
    const answered = () => partner.on('ack').filter((a) => ids.has(inner(a).reference?.distributionID));
    await waitFor('30 RC-REF', () => answered().length === 30, 20_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(answered()).toHaveLength(30);
    // Acknowledged on AMQP in groups: the broker holds nothing unacknowledged or waiting for this center.
    const queues = hubBroker('ctl', ['list_queues', '-q', '-p', HUB_VHOST, 'name', 'messages_ready', 'messages_unacknowledged']);
    expect(queues.split('\n').find((l) => l.startsWith('fr.health.snp990.message'))?.split(/\s+/).slice(1)).toEqual(['0', '0']);
  });

  it('an update before its case is refused with 702, quarantined, and applied once replayed after the case arrived', async () => {
    const hubCaseId = `fr.health.samu990.DRFR1539A26330${(Date.now() % 100000) + 2}`;
    const update = message('fr.health.samu990', 'fr.health.snp990', 'Update', 'createCaseHealthUpdate', { caseId: hubCaseId, medicalNote: [{ medicalNoteId: 'fr.health.samu990.medicalNote.1', operator: { role: 'MEDECIN', label: 'Dr Samu' }, freetext: 'Fièvre 39,5 depuis 2 jours' }] });
    const updateId = `fr.health.samu990_${update.uuid}`;
    await partner.publish(update);
    await waitFor('RS-ERROR 702', () => partner.on('info').some((e) => inner(e).error?.referencedDistributionID === updateId));
    expect(inner(partner.on('info').find((e) => inner(e).error?.referencedDistributionID === updateId)!).error.errorCode.statusCode).toBe(702);
    await partner.publish(message('fr.health.samu990', 'fr.health.snp990', 'Report', 'createCaseHealth', samuCase(hubCaseId, 'Blanc')));
    const caseId = uuidFrom(`case|${OTHER_TENANT}|${hubCaseId}`);
    await waitFor('case', async () => (await caseOf(liberal, caseId, OTHER_TENANT)) !== undefined);
    expect(await liberal.server.hub(OTHER_TENANT)!.replay(updateId)).toBe('applied');
    expect((await caseOf(liberal, caseId, OTHER_TENANT))!.notes.map((n) => n.text)).toContain('Fièvre 39,5 depuis 2 jours');
    expect((await liberal.server.hub(OTHER_TENANT)!.quarantined()).map((i) => i.distributionId)).not.toContain(updateId);
    // Replaying it again finds nothing to do.
    expect(await liberal.server.hub(OTHER_TENANT)!.replay(updateId)).toBe('not_found');
  });

  it('a sender this center does not work with gets 703', async () => {
    const stranger = await ScriptedPartner.open(SAMU, { consume: false });
    try {
      const m = message(SAMU, 'fr.health.snp990', 'Report', 'createCaseHealth', samuCase(`${SAMU}.DRFR1521A263300001`, 'Inconnu'));
      await stranger.publish(m);
      await waitFor('quarantined 703', async () => (await liberal.server.hub(OTHER_TENANT)!.quarantined()).some((i) => i.distributionId === `${SAMU}_${m.uuid}` && i.errorCode === 703));
      const { rows } = await liberal.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM hub_outbox WHERE answers = $1 AND use_case = 'error'`, [`${SAMU}_${m.uuid}`]);
      expect(rows[0]!.n).toBe(1);
    } finally {
      await stranger.close();
    }
  });

  it('a partner that never acknowledges raises the alert on the case and in the link’s state', async () => {
    const id = await caseUnderRegulation(liberal.server, OTHER_TENANT, 'Silence');
    await act(liberal.server, OTHER_TENANT, id, { type: 'transfer_samu', reason: 'urgence vitale' }, physician());
    await waitFor('received by the silent SAMU', () => partner.on('message').some((m) => inner(m).createCaseHealth?.patient?.[0]?.identity?.nonStrictFeatures?.lastName === 'Silence'));
    await waitFor('overdue on the case', async () => (await caseOf(liberal, id, OTHER_TENANT))?.hub?.messages[0]?.overdue === true, 10_000);
    const status = await liberal.server.hub(OTHER_TENANT)!.status();
    expect(status.waiting.find((w) => w.caseId === id)).toMatchObject({ overdue: true, state: 'published', recipient: 'fr.health.samu990' });
  });

  it('a message that fails every time it is processed is quarantined after a few attempts, not redelivered for ever', async () => {
    const hubCaseId = `fr.health.samu990.DRFR1539A26330${(Date.now() % 100000) + 7}`;
    const m = message('fr.health.samu990', 'fr.health.snp990', 'Report', 'createCaseHealth', samuCase(hubCaseId, 'Poison'));
    const distributionId = `fr.health.samu990_${m.uuid}`;
    // Its commit fails every time (a bug on one message), while every other message goes through.
    const db = liberal.db as { query: typeof liberal.db.query };
    const query = db.query;
    let failures = 0;
    db.query = ((text: string, params?: unknown[], name?: string) => {
      if (name === 'writer-commit' && /poison/i.test(JSON.stringify(params ?? []))) {
        failures++;
        return Promise.reject(new Error('échec reproductible (test)'));
      }
      return query(text, params, name);
    }) as typeof query;
    try {
      await partner.publish(m);
      await waitFor('quarantined', async () => (await liberal.server.hub(OTHER_TENANT)!.quarantined()).some((q) => q.distributionId === distributionId), 20_000);
      const item = (await liberal.server.hub(OTHER_TENANT)!.quarantined()).find((q) => q.distributionId === distributionId)!;
      expect(item).toMatchObject({ errorCode: 700, sender: 'fr.health.samu990' });
      expect(item.errorCause).toMatch(/non traité après 5 tentatives : échec reproductible/);
      await waitFor('RS-ERROR 700', () => partner.on('info').some((e) => inner(e).error?.referencedDistributionID === distributionId));
      const seen = failures;
      expect(seen).toBeGreaterThanOrEqual(5);
      // Acknowledged: the broker no longer redelivers it.
      await new Promise((r) => setTimeout(r, 2500));
      expect(failures).toBe(seen);
      const queues = hubBroker('ctl', ['list_queues', '-q', '-p', HUB_VHOST, 'name', 'messages_ready', 'messages_unacknowledged']);
      expect(queues.split('\n').find((l) => l.startsWith('fr.health.snp990.message'))?.split(/\s+/).slice(1)).toEqual(['0', '0']);
    } finally {
      db.query = query;
    }
  });

  it('a publication the database could not record is published again, then recorded (the partner sees the same message twice)', async () => {
    const id = await caseUnderRegulation(liberal.server, OTHER_TENANT, 'Panne');
    // The outbox's "published" mark fails once, as if PostgreSQL went away at that moment.
    const db = liberal.db as { query: typeof liberal.db.query };
    const query = db.query;
    let failed = 0;
    db.query = ((text: string, params?: unknown[], name?: string) => {
      if (name === 'hub-outbox-published' && failed === 0) {
        failed++;
        return Promise.reject(new Error('connexion perdue (test)'));
      }
      return query(text, params, name);
    }) as typeof query;
    try {
      await act(liberal.server, OTHER_TENANT, id, { type: 'transfer_samu', reason: 'urgence vitale' }, physician());
      const sent = () => partner.on('message').filter((m) => inner(m).createCaseHealth?.patient?.[0]?.identity?.nonStrictFeatures?.lastName === 'Panne');
      await waitFor('published again', () => sent().length === 2, 10_000);
      expect(failed).toBe(1);
      expect(new Set(sent().map((m) => m.distributionID)).size).toBe(1);
      await waitFor('recorded', async () => (await liberal.db.query<{ state: string }>('SELECT state FROM hub_outbox WHERE tenant = $1 AND case_id = $2', [OTHER_TENANT, id])).rows[0]?.state === 'published');
      // One message in the outbox, journaled out once it was recorded.
      expect((await liberal.db.query('SELECT 1 FROM hub_outbox WHERE tenant = $1 AND case_id = $2', [OTHER_TENANT, id])).rows).toHaveLength(1);
      expect((await liberal.db.query(`SELECT 1 FROM hub_journal WHERE tenant = $1 AND case_id = $2 AND direction = 'out'`, [OTHER_TENANT, id])).rows.length).toBeGreaterThanOrEqual(1);
    } finally {
      db.query = query;
    }
  });

  it('an unreadable message with a NUL character is journaled and quarantined (U+FFFD in its place), not given back to the Hub for ever', async () => {
    const hub = liberal.server.hub(OTHER_TENANT)!;
    const id = `fr.health.samu990_nul-${Date.now()}`;
    const body = `{"distributionID":"${id}", \u0000 coupé`;
    // PostgreSQL's text cannot hold the NUL: before, both writes failed and the delivery went back to the Hub.
    expect(await hub.receive('message', body)).toBe('quarantined');
    const item = (await hub.quarantined()).find((q) => q.distributionId === id);
    expect(item).toMatchObject({ errorCode: 704, errorCause: 'message illisible (JSON invalide ; caractères nuls remplacés par U+FFFD)', body: body.replace('\u0000', '\uFFFD') });
    const { rows } = await liberal.db.query<{ note: string; body: string }>(`SELECT note, body FROM hub_journal WHERE tenant = $1 AND direction = 'in' AND body LIKE $2`, [OTHER_TENANT, `%${id}%`]);
    expect(rows).toEqual([{ note: 'JSON illisible (caractères nuls remplacés par U+FFFD)', body: body.replace('\u0000', '\uFFFD') }]);
  });

  it('a mark written slowly is not written again by the next batch: each answer journaled out once, one attempt', async () => {
    // The outbox's "published" marks of the first answer take 1.5 s (a database under load): the
    // next answers are confirmed and their batch taken meanwhile.
    const stamp = Date.now() % 100000;
    const caseIds = [0, 1, 2, 3].map((i) => uuidFrom(`case|${OTHER_TENANT}|fr.health.samu990.DRFR1539L${stamp}${i}`));
    const db = liberal.db as { query: typeof liberal.db.query };
    const query = db.query;
    let slowed = 0;
    let slow: Promise<unknown> = Promise.resolve();
    db.query = ((text: string, params?: unknown[], name?: string) => {
      if (name === 'hub-outbox-published' && String(params?.[1]).includes(caseIds[0]!)) {
        if (slowed++ === 0) return (slow = new Promise((r) => setTimeout(r, 1500)).then(() => query(text, params, name)));
      }
      return query(text, params, name);
    }) as typeof query;
    try {
      const first = message('fr.health.samu990', 'fr.health.snp990', 'Report', 'createCaseHealth', samuCase(`fr.health.samu990.DRFR1539L${stamp}0`, 'Lent'));
      await partner.publish(first);
      await waitFor('first answered', () => partner.on('ack').some((a) => inner(a).reference?.distributionID === `fr.health.samu990_${first.uuid}`));
      await new Promise((r) => setTimeout(r, 400));
      const next = Array.from({ length: 3 }, (_, i) => message('fr.health.samu990', 'fr.health.snp990', 'Report', 'createCaseHealth', samuCase(`fr.health.samu990.DRFR1539L${stamp}${i + 1}`, `Suivant${i}`)));
      for (const m of next) await partner.publish(m);
      const marks = async () =>
        (
          await liberal.db.query<{ case_id: string; state: string; attempts: number; out: number }>(
            `SELECT o.case_id, o.state, o.attempts,
               (SELECT count(*)::int FROM hub_journal j WHERE j.tenant = o.tenant AND j.direction = 'out' AND j.distribution_id = o.distribution_id) AS out
             FROM hub_outbox o WHERE o.tenant = $1 AND o.case_id = ANY($2::uuid[]) AND o.use_case = 'reference'`,
            [OTHER_TENANT, caseIds],
          )
        ).rows;
      await waitFor('all four marked published', async () => (await marks()).filter((r) => r.state === 'published').length === 4, 10_000);
      await slow;
      await new Promise((r) => setTimeout(r, 300));
      expect((await marks()).map((r) => ({ attempts: r.attempts, out: r.out }))).toEqual(Array.from({ length: 4 }, () => ({ attempts: 1, out: 1 })));
      // The first answer's mark was written by one statement only.
      expect(slowed).toBe(1);
    } finally {
      db.query = query;
    }
  });
});

describe('the Hub’s own rules (loopback broker and dispatcher stub)', () => {
  it('an untrusted certificate is refused at TLS; a trusted one without a Hub account is refused at login', async () => {
    await expect(connectAs('rogue')).rejects.toThrow(/unknown ca|alert/i);
    await expect(connectAs('fr.health.samu999')).rejects.toThrow(/ACCESS_REFUSED|403/);
  });

  it('publishing under another client’s routing key is refused by the broker', async () => {
    const p = await ScriptedPartner.open('fr.health.samu990', { consume: false });
    try {
      await expect(p.publish(message('fr.health.samu990', 'fr.health.snp990', 'Report', 'createCaseHealth', samuCase('fr.health.samu990.DRFR1539A263300009', 'X')), { routingKey: SAMU })).rejects.toThrow();
    } finally {
      await p.close();
    }
  });

  it('a message that breaks the model gets the Hub’s error 300 and never reaches the recipient', async () => {
    const p = await ScriptedPartner.open('fr.health.samu990');
    try {
      const m = message('fr.health.samu990', 'fr.health.snp990', 'Report', 'createCaseHealth', { ...samuCase('fr.health.samu990.DRFR1539A263300010', 'Y'), owner: undefined });
      await p.publish(JSON.parse(JSON.stringify(buildEnvelope(m))));
      await waitFor('error 300', () => p.on('info').some((e) => inner(e).error?.errorCode?.statusCode === 300));
      expect(inner(p.on('info')[0]!).error.referencedDistributionID).toBe(`fr.health.samu990_${m.uuid}`);
    } finally {
      await p.close();
    }
  });
});

describe('appointments of the national SAS platform (RS-SAS-RDV)', () => {
  it('received, acknowledged, listed, an update of an unknown one created, and linked to a case by a regulator', async () => {
    const sas = await ScriptedPartner.open('fr.health.test.ptfsas');
    try {
      const appointment = (id: string, method: string, status: string) => ({
        appointmentId: id,
        method,
        created: '2026-11-26T01:20:00+01:00',
        start: '2026-11-26T09:30:00+01:00',
        end: '2026-11-26T09:45:00+01:00',
        status,
        orientationCategory: 'CPTS',
        practitioner: { rppsId: '810012345678', lastName: 'Durand', firstName: 'Claire' },
        organization: { organizationId: 'cpts-dijon', name: 'CPTS du Grand Dijon' },
        regulator: { regulatorName: 'Morel', regulatorFirstname: 'Anne', regulatorEmail: 'anne.morel@example.fr' },
      });
      const a1 = `rdv-${Date.now()}`;
      const created = message('fr.health.test.ptfsas', LIBERAL, 'Report', 'appointment', appointment(a1, 'CreateAppointment', 'booked'));
      await sas.publish(created);
      const a2 = `rdv-${Date.now()}-maj`;
      await sas.publish(message('fr.health.test.ptfsas', LIBERAL, 'Update', 'appointment', appointment(a2, 'UpdateAppointment', 'booked')));
      const hub = liberal.server.hub(TENANT)!;
      await waitFor('both listed', async () => (await hub.appointments()).filter((a) => a.appointmentId === a1 || a.appointmentId === a2).length === 2).catch((e) => {
        throw new Error(`${(e as Error).message}; errors received by the SAS platform: ${JSON.stringify(sas.on('info').map((i) => inner(i).error))}`);
      });
      await waitFor('acknowledged', () => sas.on('ack').some((a) => inner(a).reference?.distributionID === `fr.health.test.ptfsas_${created.uuid}`));
      const id = await caseUnderRegulation(liberal.server, TENANT, 'Rdv');
      expect(await hub.linkAppointment(a1, id, physician())).toBe('linked');
      expect((await hub.appointments()).find((a) => a.appointmentId === a1)!.caseId).toBe(id);
      expect((await caseOf(liberal, id))!.notes.at(-1)!.text).toContain('Claire Durand');
    } finally {
      await sas.close();
    }
  });
});

describe('the broker restarted in the middle of an exchange', () => {
  it('loses nothing: a transfer written while the Hub is down is delivered and integrated once it is back', async () => {
    hubBroker('stop');
    const hub = liberal.server.hub(TENANT)!;
    let id: string;
    try {
      await waitFor('link down', () => !hub.link.connected);
      id = await caseUnderRegulation(liberal.server, TENANT, 'Panne');
      await act(liberal.server, TENANT, id, { type: 'transfer_samu', reason: 'pendant la coupure' }, physician());
      expect((await hub.status()).pending).toBeGreaterThanOrEqual(1);
    } finally {
      // Started again whatever happened above: the next tests (and the next run) need the broker.
      hubBroker('start');
    }
    await waitFor('integrated after the restart', async () => (await caseOf(liberal, id))?.hub?.messages[0]?.state === 'integrated', 60_000);
    expect((await cases(samu)).filter((c) => c.fields.patient?.lastName === 'Panne')).toHaveLength(1);
    expect((await hub.status()).state).toBe('connected');
  }, 120_000);
});

describe('the liberal center on two server instances', () => {
  // Last in this file: it ends the first liberal instance; the second one is closed by afterAll.
  it('a transfer waiting in the outbox when its instance stops is published once by the instance that takes over, and answered once', async () => {
    const { rows: dbName } = await liberal.db.query<{ name: string }>('SELECT current_database() AS name');
    const dbB = await openPostgres(PG_ADMIN_URL.replace(/\/[^/]*$/, `/${dbName[0]!.name}`));
    const hubsante = [hubConfig(TENANT, LIBERAL, SAMU), hubConfig(OTHER_TENANT, 'fr.health.snp990', 'fr.health.samu990', { ackAlertSeconds: 1 })];
    const b = await startServer({ db: dbB, tokenSecret: TOKEN_SECRET, logLevel: 'silent', hubsante, hubTickMs: 200, instance: { name: 'liberal-b' } });
    const a = liberal;
    // From here on, afterAll closes b (and the database the two share).
    liberal = { server: b, db: a.db, url: b.url, close: async () => { await b.close(); await dbB.close(); await a.close(); } };
    expect(b.heldCenters()).toEqual([]);
    expect(b.hub(TENANT)).toBeUndefined(); // the standby runs no Hub link
    hubBroker('stop');
    let id: string;
    let distributionId: string;
    try {
      await waitFor('link down', () => !a.server.hub(TENANT)!.link.connected);
      id = await caseUnderRegulation(a.server, TENANT, 'Reprise');
      await act(a.server, TENANT, id, { type: 'transfer_samu', reason: 'pendant la reprise' }, physician());
      const { rows } = await a.db.query<{ distribution_id: string; state: string }>("SELECT distribution_id, state FROM hub_outbox WHERE tenant = $1 AND case_id = $2 AND use_case <> 'reference'", [TENANT, id]);
      expect(rows).toHaveLength(1);
      expect(rows[0]!.state).toBe('pending');
      distributionId = rows[0]!.distribution_id;
      // The holder stops with the message still to publish; the other instance takes the center over.
      await a.server.close();
      await waitFor('b holds the center', () => b.heldCenters().includes(TENANT), 5_000);
      // The Hub link is created as the take-over goes on (after what the previous holder committed is fanned out).
      await waitFor('b runs the Hub link', () => b.hub(TENANT) !== undefined, 5_000);
    } finally {
      hubBroker('start');
    }
    await waitFor('integrated after the take-over', async () => (await caseOf(liberal, id))?.hub?.messages[0]?.state === 'integrated', 60_000);
    // Published once (the SAMU's journal of messages in), one case there, answered by one RC-REF.
    const { rows: received } = await samu.db.query<{ n: number }>("SELECT count(*)::int AS n FROM hub_journal WHERE tenant = $1 AND direction = 'in' AND distribution_id = $2", [TENANT, distributionId]);
    expect(received[0]!.n).toBe(1);
    expect((await cases(samu)).filter((c) => c.fields.patient?.lastName === 'Reprise')).toHaveLength(1);
    const { rows: refs } = await samu.db.query<{ n: number }>("SELECT count(*)::int AS n FROM hub_outbox WHERE tenant = $1 AND use_case = 'reference' AND answers = $2", [TENANT, distributionId]);
    expect(refs[0]!.n).toBe(1);
  }, 120_000);
});
