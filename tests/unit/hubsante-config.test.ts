import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHubConfig } from '../../src-server/hubsante/config.js';

const dir = mkdtempSync(join(tmpdir(), 'hubconf-'));
const write = (name: string, data: unknown) => {
  const f = join(dir, name);
  writeFileSync(f, typeof data === 'string' ? data : JSON.stringify(data));
  return f;
};
const good = { tenant: 'cote-dor', clientId: 'fr.health.snp210', url: 'amqps://hub.sante.example:5671', tls: { certFile: 'certs/snp210.pem', keyFile: 'certs/snp210.key', caFile: 'certs/igc-sante.pem' }, samu: { id: 'fr.health.samu210' } };

describe('Hub Santé configuration file', () => {
  it('fills the Hub’s conventions as defaults and resolves certificate paths from the file’s folder', () => {
    const [c] = readHubConfig(write('ok.json', good));
    expect(c).toMatchObject({ vhost: '15-15_v2.0', expiryHours: 24, sas: { id: 'fr.health.ptfsas' }, timeZone: 'Europe/Paris' });
    expect(c!.tls).toMatchObject({ certFile: join(dir, 'certs/snp210.pem'), caFile: join(dir, 'certs/igc-sante.pem') });
  });

  it('takes several centers, and PKCS#12 with a passphrase file', () => {
    const list = readHubConfig(write('two.json', [good, { ...good, tenant: 'jura', clientId: 'fr.health.snp390', tls: { pfxFile: 'jura.p12', passphraseFile: 'jura.pass', caFile: 'ca.pem' } }]));
    expect(list.map((c) => c.clientId)).toEqual(['fr.health.snp210', 'fr.health.snp390']);
  });

  it('refuses a bad file with the field at fault, and says when it is not JSON', () => {
    expect(() => readHubConfig(write('bad.json', { ...good, clientId: 'snp210' }))).toThrow(/clientId.*identifiant Hub/);
    expect(() => readHubConfig(write('url.json', { ...good, url: 'amqp://hub:5672' }))).toThrow(/url.*amqps/);
    expect(() => readHubConfig(write('nojson.json', '{ tenant: '))).toThrow(/illisible/);
  });
});
