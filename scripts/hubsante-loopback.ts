/**
 * The loopback Hub Santé for a demo or a manual test (npm run hub:loopback): starts the second
 * RabbitMQ node (scripts/hubsante-broker.sh), runs the project's dispatcher stub, writes the demo
 * center's link configuration (.data/hubsante-loopback.json, read by `npm start`), and plays a
 * scripted SAMU 21 (fr.health.samu210) that acknowledges every case it receives as integrated and
 * accepts the hand-over. `--samu-sends` also hands one case to liberal regulation every 2 minutes.
 * Ctrl+C stops the stub and the SAMU (the broker keeps running: scripts/hubsante-broker.sh stop).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { v7 as uuidv7 } from 'uuid';
import { ackOf } from '../src-shared/domain/hubsante-protocol.js';
import { readEnvelope, type HubEnvelope } from '../src-shared/domain/hubsante-envelope.js';
import { HubDispatcherStub, HUB_CERTS, HUB_URL } from '../tests/fixtures/hub-dispatcher.js';
import { ensureHubBroker, message, partnerCase, ScriptedPartner } from '../tests/fixtures/hub.js';

const root = resolve(process.env.PERMANENCE_DATA_DIR ?? '.data');
mkdirSync(root, { recursive: true });
const LIBERAL = 'fr.health.snp210';
const SAMU = 'fr.health.samu210';

ensureHubBroker();
const stub = new HubDispatcherStub();
await stub.start();
const file = join(root, 'hubsante-loopback.json');
writeFileSync(
  file,
  JSON.stringify(
    {
      tenant: 'demo',
      clientId: LIBERAL,
      url: HUB_URL,
      vhost: '15-15_v2.0',
      servername: 'localhost',
      tls: { certFile: join(HUB_CERTS, `${LIBERAL}.pem`), keyFile: join(HUB_CERTS, `${LIBERAL}.key`), caFile: join(HUB_CERTS, 'ca.pem') },
      samu: { id: SAMU, name: 'SAMU 21 (simulé)' },
      sas: { id: 'fr.health.test.ptfsas', name: 'Plateforme SAS (simulée)' },
    },
    null,
    2,
  ),
);
const samu = await ScriptedPartner.open(SAMU, {
  autoAck: (env) => {
    const d = readEnvelope(env as HubEnvelope);
    if (!d.ok || (d.value.useCase !== 'createCaseHealth' && d.value.useCase !== 'createCaseHealthUpdate')) return null;
    const now = Date.now();
    const ack = ackOf(d.value, { clientId: SAMU, sentAt: now, expiresAt: now + 86_400_000, uuid: uuidv7() }, { step: 'INTEGRE' });
    // A case handed to us: accept it a moment later (our id stays the owner).
    const payload = d.value.payload as { caseId: string; owner?: string };
    if (payload.owner === SAMU) setTimeout(() => void samu.publish(message(SAMU, LIBERAL, 'Update', 'createCaseHealthUpdate', { caseId: payload.caseId, owner: SAMU, freetext: 'Pris en charge par le SAMU 21 (simulé)' })), 3000);
    return ack;
  },
});
let n = 0;
const handOne = () => {
  const id = `${SAMU}.DRFR1521A${Date.now() % 1_000_000_000}`;
  n += 1;
  void samu.publish(
    message(SAMU, LIBERAL, 'Report', 'createCaseHealth', partnerCase(id, { owner: LIBERAL, lastName: `Simulé${n}`, firstName: 'Zoé', age: 4, commune: { name: 'Beaune', inseeCode: '21054' }, phone: '+33380000000', notes: ['Otalgie fébrile, pas de signe de gravité : relève de la PDSA'] })),
  );
  console.log(`SAMU simulé : dossier ${id} confié à la régulation libérale`);
};
if (process.argv.includes('--samu-sends')) {
  handOne();
  setInterval(handOne, 120_000);
}
console.log(`Hub Santé de boucle locale : ${HUB_URL}/15-15_v2.0 ; aiguilleur et SAMU 21 simulés en marche.`);
console.log(`Configuration du centre de démonstration : ${file} (lue par npm start).`);
const stop = async () => {
  await samu.close();
  await stub.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
