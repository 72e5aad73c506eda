/**
 * The effector page's link with the central server. The token lives in memory only (a reload
 * asks for the password again): nothing about the doctor or a patient is written to the phone
 * (no web storage, no browser database, no cache storage; the server says no-store).
 */
import { EffectorPageStateSchema, EffectorWsFrameSchema, type EffectorPageState } from '../src-shared/schemas/effectors';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Link = 'connecting' | 'online' | 'offline' | 'ended';

export class EffectorSession {
  private ws: WebSocket | null = null;
  private closed = false;
  private retry = 0;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** The last page state, kept in memory only (what the screen shows). */
  private state: EffectorPageState | null = null;

  private constructor(
    private token: string,
    private expiresAt: number,
    readonly name: string,
    private readonly onState: (s: EffectorPageState) => void,
    private readonly onLink: (l: Link) => void,
  ) {}

  static async login(tenant: string, login: string, password: string, onState: (s: EffectorPageState) => void, onLink: (l: Link) => void): Promise<EffectorSession> {
    const res = await fetch('/api/effector/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant, login, password }) });
    const body = (await res.json().catch(() => null)) as { token?: string; expiresAt?: number; name?: string; error?: { code: string; message: string } } | null;
    if (!res.ok || !body?.token) throw new ApiError(res.status, body?.error?.code ?? 'http', body?.error?.message ?? `Erreur ${res.status}`);
    return EffectorSession.opened(body as { token: string; expiresAt?: number; name?: string }, onState, onLink);
  }

  /**
   * Pro Santé Connect: PSC's page opens in `popup` (opened at the tap); this page waits for the
   * doctor to come back, with the flow's secret, which never leaves it.
   */
  static async loginWithPsc(tenant: string, popup: Window | null, onState: (s: EffectorPageState) => void, onLink: (l: Link) => void): Promise<EffectorSession> {
    const post = async (path: string, body: unknown) => {
      const res = await fetch(path, { method: 'POST', cache: 'no-store', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } & Record<string, unknown>;
      if (!res.ok) throw new ApiError(res.status, json?.error?.code ?? 'http', json?.error?.message ?? `Erreur ${res.status}`);
      return json;
    };
    let flow: { flowId: string; secret: string; authorizationUrl: string };
    try {
      flow = (await post('/api/psc/start', { tenant, kind: 'effector' })) as unknown as typeof flow;
    } catch (error) {
      popup?.close();
      throw error;
    }
    if (popup) popup.location.href = flow.authorizationUrl;
    else location.assign(flow.authorizationUrl);
    const end = Date.now() + 180_000;
    while (Date.now() < end) {
      const r = (await post(`/api/psc/flows/${flow.flowId}`, { secret: flow.secret })) as { status: string; login?: { token: string; expiresAt?: number; name?: string } };
      if (r.status === 'done' && r.login) return EffectorSession.opened(r.login, onState, onLink);
      await new Promise((ok) => setTimeout(ok, 800));
    }
    throw new ApiError(0, 'timeout', 'Pro Santé Connect n’a pas répondu à temps : recommencez.');
  }

  private static opened(body: { token: string; expiresAt?: number; name?: string }, onState: (s: EffectorPageState) => void, onLink: (l: Link) => void): EffectorSession {
    const s = new EffectorSession(body.token, body.expiresAt ?? 0, body.name ?? '', onState, onLink);
    s.scheduleRefresh();
    s.connect();
    return s;
  }

  private scheduleRefresh() {
    clearTimeout(this.refreshTimer);
    const inMs = Math.max(5_000, this.expiresAt - Date.now() - 60_000);
    this.refreshTimer = setTimeout(() => {
      void this.request<{ token: string; expiresAt: number }>('POST', '/api/effector/token/refresh')
        .then((t) => {
          this.token = t.token;
          this.expiresAt = t.expiresAt;
          this.scheduleRefresh();
        })
        .catch(() => this.scheduleRefresh());
    }, inMs);
  }

  private connect() {
    if (this.closed) return;
    this.onLink('connecting');
    // A browser's WebSocket carries no Authorization header: a one-time ticket, never the token, goes in its address.
    this.request<{ ticket: string }>('POST', '/api/ws-ticket').then(
      ({ ticket }) => this.open(ticket),
      (error: ApiError) => {
        if (this.closed) return;
        this.onLink(error.status === 401 ? 'ended' : 'offline');
        if (error.status !== 401) setTimeout(() => this.connect(), Math.min(15_000, 500 * 2 ** this.retry++));
      },
    );
  }

  private open(ticket: string) {
    if (this.closed) return;
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/effector/ws?ticket=${encodeURIComponent(ticket)}`;
    const ws = new WebSocket(url);
    this.ws = ws;
    ws.onmessage = (m) => {
      const parsed = EffectorWsFrameSchema.safeParse(JSON.parse(String(m.data)));
      if (!parsed.success) return;
      if (parsed.data.type === 'state') {
        this.retry = 0;
        this.onLink('online');
        this.state = parsed.data.state;
        this.onState(parsed.data.state);
      } else if (parsed.data.type === 'offer' && this.state) {
        // One request changed: it replaces its old view in the list (newest first).
        const offer = parsed.data.offer;
        const offers = [offer, ...this.state.offers.filter((o) => o.id !== offer.id)].sort((a, b) => b.sentAt - a.sentAt);
        this.state = { ...this.state, offers };
        this.onState(this.state);
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws || this.closed) return;
      this.onLink('offline');
      // On the move the network comes and goes: try again, a little later each time.
      const delay = Math.min(15_000, 500 * 2 ** this.retry++);
      setTimeout(() => this.connect(), delay);
    };
  }

  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(path, {
        method,
        cache: 'no-store',
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiError(0, 'unreachable', 'Réseau indisponible : réessayez.');
    }
    const json = (await res.json().catch(() => null)) as { error?: { code: string; message: string } } | null;
    if (!res.ok) throw new ApiError(res.status, json?.error?.code ?? 'http', json?.error?.message ?? `Erreur ${res.status}`);
    return json as T;
  }

  async refresh(): Promise<void> {
    this.state = EffectorPageStateSchema.parse(await this.request('GET', '/api/effector/state'));
    this.onState(this.state);
  }

  logout(): void {
    this.closed = true;
    this.state = null;
    clearTimeout(this.refreshTimer);
    this.ws?.close();
    this.ws = null;
  }
}
