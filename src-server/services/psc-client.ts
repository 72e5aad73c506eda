/**
 * The server's side of Pro Santé Connect: an OpenID Connect client (openid-client) doing the
 * authorization code flow with PKCE, a state and a nonce, `scope=openid scope_all`,
 * `acr_values=eidas1`, the client authenticated by its secret (HTTP Basic). PSC's discovery
 * document sits at a path of its own (`…/.well-known/wallet-openid-configuration`): it is read at
 * run time from the configured address, never hard-coded; a provider that does not answer is said so.
 */
import * as oidc from 'openid-client';

export interface PscConfig {
  /** PSC's discovery document (production: auth.esw.esante.gouv.fr; test: the local provider). */
  discoveryUrl: string;
  clientId: string;
  clientSecret: string;
  /** This server's callback, as registered at PSC: `https://…/api/psc/callback`. */
  redirectUri: string;
}

export interface PscIdentity {
  /** "8" + RPPS or "0" + ADELI. */
  subjectNameId: string;
  rpps: string | null;
  givenName: string;
  familyName: string;
  acr: string | null;
  practices: { label: string; structureId: string | null }[];
}

export class PscUnavailableError extends Error {}

export class PscClient {
  private config: Promise<oidc.Configuration> | null = null;

  constructor(private readonly settings: PscConfig) {}

  get redirectUri(): string {
    return this.settings.redirectUri;
  }

  private configuration(): Promise<oidc.Configuration> {
    this.config ??= (async () => {
      let meta: oidc.ServerMetadata;
      try {
        const res = await fetch(this.settings.discoveryUrl, { signal: AbortSignal.timeout(5_000) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        meta = (await res.json()) as oidc.ServerMetadata;
      } catch (error) {
        throw new PscUnavailableError(`Pro Santé Connect injoignable (${(error as Error).message}).`);
      }
      const config = new oidc.Configuration(meta, this.settings.clientId, undefined, oidc.ClientSecretBasic(this.settings.clientSecret));
      // A provider on loopback (tests, demo) speaks plain HTTP.
      if (new URL(meta.issuer).hostname === '127.0.0.1') oidc.allowInsecureRequests(config);
      return config;
    })();
    // A failure is not kept: the next login asks again.
    this.config.catch(() => (this.config = null));
    return this.config;
  }

  /** Where to send the user, and what the callback must find again. */
  async start(): Promise<{ url: string; state: string; nonce: string; verifier: string }> {
    const config = await this.configuration();
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri,
      scope: 'openid scope_all',
      acr_values: 'eidas1',
      state,
      nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    return { url: url.href, state, nonce, verifier };
  }

  /** The callback: the code exchanged (state, nonce, PKCE checked), the professional's identity read. */
  async finish(callbackUrl: URL, checks: { state: string; nonce: string; verifier: string }): Promise<PscIdentity> {
    const config = await this.configuration();
    const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: checks.verifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: true });
    const claims = tokens.claims()!;
    const info = (await oidc.fetchUserInfo(config, tokens.access_token, claims.sub)) as Record<string, unknown>;
    const subjectNameId = String(info.SubjectNameID ?? claims.sub);
    const ref = info.SubjectRefPro as { exercices?: { codeProfession?: string; activities?: { raisonSocialeSite?: string; identifiantStructure?: string; adresse?: string }[] }[] } | undefined;
    const practices = (ref?.exercices ?? []).flatMap((e) =>
      (e.activities ?? []).map((a) => ({ label: [a.raisonSocialeSite, a.adresse].filter(Boolean).join(', ') || 'Exercice', structureId: a.identifiantStructure ?? null })),
    );
    return {
      subjectNameId,
      rpps: subjectNameId.startsWith('8') ? subjectNameId.slice(1) : null,
      givenName: String(info.given_name ?? ''),
      familyName: String(info.family_name ?? ''),
      // PSC may answer another level than asked (a card: eidas3): recorded as given.
      acr: typeof claims.acr === 'string' ? claims.acr : null,
      practices,
    };
  }
}
