import { describe, expect, it } from 'vitest';
import { InstallationConfigError, resolveInstallation, serverUrlProblem, type ResolveInput } from '../../src-main/core/config/installation-config.js';

const locations = { machine: '/etc/permanence/workstation.json', user: '/home/arm/.config/permanence/workstation.json' };
const defaults = { dataDir: '/home/arm/.config/Permanence/workstation', logDir: '/home/arm/.config/Permanence/logs' };

function resolveWith(files: Record<string, unknown>, env: Record<string, string> = {}) {
  const input: ResolveInput = {
    locations,
    env,
    defaults,
    readFile: (path) => (path in files ? (typeof files[path] === 'string' ? (files[path] as string) : JSON.stringify(files[path])) : null),
  };
  return resolveInstallation(input);
}

function errorOf(fn: () => unknown): InstallationConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof InstallationConfigError) return error;
    throw error;
  }
  throw new Error('no error');
}

describe('installation configuration', () => {
  it('takes each field from the first source that sets it: machine file, then user file, then environment', () => {
    const config = resolveWith(
      {
        [locations.machine]: { tenant: 'cote-dor', serverUrls: ['https://regulation.chu-dijon.fr'], idleLockSeconds: 120 },
        [locations.user]: { serverUrls: ['https://ailleurs.example.org'], idleLockSeconds: 900, cacheRetentionDays: 10 },
      },
      { PERMANENCE_SERVER_URL: 'https://encore-ailleurs.example.org', PERMANENCE_SIP_ORIGINS: 'wss://sip.chu-dijon.fr:8443, wss://sip2.chu-dijon.fr:8443', PERMANENCE_CACHE_RETENTION_DAYS: '30' },
    );
    // IT's server and idle lock cannot be changed by the user nor by the environment.
    expect(config.serverUrls).toEqual(['https://regulation.chu-dijon.fr']);
    expect(config.idleLockSeconds).toBe(120);
    expect(config.cacheRetentionDays).toBe(10);
    expect(config.sipOrigins).toEqual(['wss://sip.chu-dijon.fr:8443', 'wss://sip2.chu-dijon.fr:8443']);
    expect(config.mode).toBe('center');
    expect(config.dataDir).toBe(defaults.dataDir);
    expect(config.sources).toMatchObject({
      serverUrls: { source: 'machine', path: locations.machine },
      cacheRetentionDays: { source: 'user', path: locations.user },
      sipOrigins: { source: 'environment' },
      dataDir: { source: 'default' },
    });
  });

  it('refuses http:// to another machine, and accepts it to this one only', () => {
    expect(serverUrlProblem('http://127.0.0.1:5790')).toBeNull();
    expect(serverUrlProblem('http://localhost:5790')).toBeNull();
    expect(serverUrlProblem('http://[::1]:5790')).toBeNull();
    expect(serverUrlProblem('https://regulation.chu-dijon.fr')).toBeNull();
    expect(serverUrlProblem('http://regulation.chu-dijon.fr')).toMatch(/https:\/\//);
    expect(serverUrlProblem('http://127.0.0.1.evil.example')).toMatch(/https:\/\//);
    const error = errorOf(() => resolveWith({ [locations.machine]: { tenant: 'cote-dor', serverUrls: ['https://a.fr', 'http://10.0.0.4:5790'] } }));
    expect(error.message).toBe(
      `Configuration invalide (${locations.machine}) : « serverUrls » (élément 2) — http:// n’est accepté que vers ce poste lui-même ; le serveur 10.0.0.4 doit être joint en https://.`,
    );
    expect(error.field).toBe('serverUrls');
  });

  it('names the bad field and the file, in French, whatever is wrong', () => {
    expect(errorOf(() => resolveWith({ [locations.machine]: '{ "tenant": ' })).message).toMatch(/^Configuration illisible \(\/etc\/permanence\/workstation.json\) : ce n’est pas du JSON valide/);
    expect(errorOf(() => resolveWith({ [locations.machine]: { tenant: 'cote-dor', serverUrl: 'https://a.fr' } })).message).toBe(
      `Configuration invalide (${locations.machine}) : champ inconnu « serverUrl ».`,
    );
    expect(errorOf(() => resolveWith({ [locations.user]: { idleLockSeconds: 5 } })).message).toBe(
      `Configuration invalide (${locations.user}) : « idleLockSeconds » — au moins 30 secondes.`,
    );
    expect(errorOf(() => resolveWith({ [locations.machine]: { serverUrls: 'https://a.fr' } })).message).toMatch(/« serverUrls » — Entrée invalide : tableau attendu/);
    expect(errorOf(() => resolveWith({}, { PERMANENCE_IDLE_LOCK_SECONDS: 'dix' })).message).toBe(
      'Configuration invalide (variables d’environnement) : PERMANENCE_IDLE_LOCK_SECONDS — nombre attendu (secondes).',
    );
    expect(errorOf(() => resolveWith({ [locations.machine]: { tenant: 'Côte d’Or', serverUrls: ['https://a.fr'] } })).message).toMatch(/« tenant » — identifiant de centre attendu/);
    // Updates come over https only, from the server IT names.
    expect(errorOf(() => resolveWith({ [locations.machine]: { tenant: 'cote-dor', serverUrls: ['https://a.fr'], updateUrl: 'http://maj.chu-dijon.fr/permanence/' } })).message).toBe(
      `Configuration invalide (${locations.machine}) : « updateUrl » — adresse https:// attendue.`,
    );
    expect(resolveWith({ [locations.machine]: { tenant: 'cote-dor', serverUrls: ['https://a.fr'], updateUrl: 'https://maj.chu-dijon.fr/permanence/' } }).updateUrl).toBe('https://maj.chu-dijon.fr/permanence/');
  });

  it('never falls back to a workstation without server: that is the explicit training mode', () => {
    const missing = errorOf(() => resolveWith({}));
    expect(missing.message).toMatch(/^Aucun serveur central n’est configuré sur ce poste/);
    expect(missing.message).toContain('"mode": "training"');
    expect(errorOf(() => resolveWith({ [locations.machine]: { serverUrls: ['https://a.fr'] } })).message).toMatch(/« tenant »/);
    expect(resolveWith({}, { PERMANENCE_MODE: 'training' })).toMatchObject({ mode: 'training', serverUrls: [], tenant: null });
    expect(errorOf(() => resolveWith({ [locations.machine]: { mode: 'training', serverUrls: ['https://a.fr'] } })).message).toMatch(/mode formation ne se connecte à aucun serveur/);
    // IT's machine file says "center": the environment cannot switch it to training.
    expect(resolveWith({ [locations.machine]: { mode: 'center', tenant: 'cote-dor', serverUrls: ['https://a.fr'] } }, { PERMANENCE_MODE: 'training' }).mode).toBe('center');
  });
});

describe('external links of the desktop app', () => {
  it('opens only https:// links to an origin the installation lists', async () => {
    const { externalLinkAllowed } = await import('../../src-main/core/config/external-links.js');
    const allowed = ['https://sas.sante.fr', 'https://intranet.chu-dijon.fr'];
    expect(externalLinkAllowed('https://sas.sante.fr/sas/recherche?origin=permanence&city=Dijon', allowed)).toBe(true);
    expect(externalLinkAllowed('https://sas.sante.fr:8443/x', allowed)).toBe(false);
    expect(externalLinkAllowed('http://sas.sante.fr/x', allowed)).toBe(false);
    expect(externalLinkAllowed('https://sas.sante.fr.evil.example/x', allowed)).toBe(false);
    expect(externalLinkAllowed('https://user:pw@sas.sante.fr/x', allowed)).toBe(false);
    expect(externalLinkAllowed('file:///etc/passwd', allowed)).toBe(false);
    expect(externalLinkAllowed('https://sas.sante.fr/x', [])).toBe(false);
  });
});
