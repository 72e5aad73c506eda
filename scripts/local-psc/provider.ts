/**
 * A local OpenID provider shaped like Pro Santé Connect (the ANS's, `../shared/docs/security-and-
 * records.md`), for tests and the demo: oidc-provider on 127.0.0.1 under PSC's realm path, its
 * discovery document at PSC's own well-known path under PSC's realm (the provider itself answers at
 * the root: it builds its endpoints' addresses from where it is served), scopes `openid scope_all`, PKCE, the claims
 * PSC returns (`SubjectNameID` = "8" + RPPS, names, `SubjectRefPro.exercices[]`) and the `acr` it
 * gives (eidas1 by default). Its login page asks for the professional's national id (what the
 * e-CPS app would prove); an unknown id is refused there.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Provider } from 'oidc-provider';

export const PSC_REALM = '/auth/realms/esante-wallet';

export interface PscPractice {
  codeProfession: string;
  codeSavoirFaire: string;
  activities: { raisonSocialeSite: string; identifiantStructure: string; codeModeExercice: 'L' | 'S'; adresse: string }[];
}

export interface PscProfessional {
  /** "8" + RPPS (or "0" + ADELI). */
  subjectNameId: string;
  givenName: string;
  familyName: string;
  practices: PscPractice[];
}

export interface LocalPsc {
  issuer: string;
  discoveryUrl: string;
  port: number;
  close(): Promise<void>;
}

const page = (res: ServerResponse, status: number, body: string) =>
  res
    .writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' })
    .end(`<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Pro Santé Connect (local)</title></head><body>${body}</body></html>`);

export async function startLocalPsc(options: {
  port?: number;
  clients: { clientId: string; clientSecret: string; redirectUris: string[] }[];
  professionals: PscProfessional[];
  acr?: string;
  /** Lifetime of an authorization code (seconds; PSC's is short). */
  codeTtlSeconds?: number;
}): Promise<LocalPsc> {
  const server: Server = createServer();
  await new Promise<void>((ok) => server.listen(options.port ?? 0, '127.0.0.1', () => ok()));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const byId = new Map(options.professionals.map((p) => [p.subjectNameId, p]));
  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: c.redirectUris,
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    scopes: ['openid', 'scope_all'],
    claims: { openid: ['sub'], scope_all: ['SubjectNameID', 'given_name', 'family_name', 'SubjectRefPro'] },
    acrValues: ['eidas1', 'eidas2', 'eidas3'],
    pkce: { required: () => true },
    ttl: { AuthorizationCode: options.codeTtlSeconds ?? 60, AccessToken: 120, IdToken: 120, Session: 4 * 3600, Interaction: 600, Grant: 3600 },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    cookies: { keys: ['local-psc-cookie-key-for-tests-only'] },
    findAccount: async (_ctx, id) => {
      const p = byId.get(id);
      if (!p) return undefined;
      return {
        accountId: id,
        claims: async () => ({
          sub: id,
          SubjectNameID: id,
          given_name: p.givenName,
          family_name: p.familyName,
          SubjectRefPro: { codeCivilite: 'DR', exercices: p.practices },
        }),
      };
    },
  });
  // Plain HTTP on loopback: the provider is told its requests are not proxied.
  provider.proxy = false;
  const handle = provider.callback();

  const interaction = async (req: IncomingMessage, res: ServerResponse, uid: string) => {
    if (req.method === 'GET') {
      const details = await provider.interactionDetails(req, res);
      if (details.uid !== uid) return page(res, 400, '<p>Interaction inconnue.</p>');
      return page(
        res,
        200,
        `<main><h1>Pro Santé Connect (local)</h1><form method="post" action="/interaction/${uid}"><label>Identifiant national (8 + RPPS) <input name="subject" autocomplete="off" autofocus></label><button type="submit">Valider avec e-CPS</button></form></main>`,
      );
    }
    const body = await new Promise<string>((ok) => {
      let data = '';
      req.on('data', (c) => (data += c));
      req.on('end', () => ok(data));
    });
    const subject = new URLSearchParams(body).get('subject')?.trim() ?? '';
    const details = await provider.interactionDetails(req, res);
    if (!byId.has(subject)) return page(res, 200, '<p role="alert">Carte ou identifiant inconnu.</p>');
    const grant = new provider.Grant({ accountId: subject, clientId: String(details.params.client_id) });
    grant.addOIDCScope('openid scope_all');
    grant.addOIDCClaims(['SubjectNameID', 'given_name', 'family_name', 'SubjectRefPro']);
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { login: { accountId: subject, acr: options.acr ?? 'eidas1' }, consent: { grantId } }, { mergeWithLastSubmission: false });
  };

  server.on('request', (req, res) => {
    const url = req.url ?? '/';
    const m = /^\/interaction\/([\w-]+)/.exec(url);
    if (m) {
      interaction(req, res, m[1]!).catch((error: Error) => page(res, 400, `<p>${error.message}</p>`));
      return;
    }
    // PSC publishes its discovery document at a path of its own: the same document there.
    if (url === `${PSC_REALM}/.well-known/wallet-openid-configuration`) req.url = '/.well-known/openid-configuration';
    handle(req, res);
  });
  return {
    issuer,
    discoveryUrl: `${issuer}${PSC_REALM}/.well-known/wallet-openid-configuration`,
    port,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
