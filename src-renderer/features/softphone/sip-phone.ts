/**
 * The softphone adapter: sip.js in the renderer (WebRTC lives here). One user agent per session,
 * registered with the user's account from the center's configuration; incoming and outgoing
 * calls, answer, hang-up, hold, mute, DTMF; automatic reconnection with backoff when the
 * WebSocket drops (sip.js has none), then re-registration. No STUN server is ever contacted (sip.js
 * would otherwise ask a public one). The UI reads a plain snapshot (`PhoneView`).
 */
import { Invitation, Inviter, Registerer, RegistererState, SessionState, UserAgent, type Session, type Web } from 'sip.js';
import type { Line } from '../../../src-shared/domain/codes';
import type { SipAccount } from '../../../src-shared/sync-protocol/messages';
import type { CallEndReason, CallReport } from '../../../src-shared/schemas/call-log';

/** What the phone tells the center's call log (the core adds the report's id). */
export type CallReportInput = Omit<CallReport, 'id'>;

export type Registration = 'unconfigured' | 'connecting' | 'registered' | 'rejected' | 'down';

export interface CallView {
  /** SIP Call-ID: the call record's key. */
  callId: string;
  direction: 'in' | 'out';
  /** The other party: a phone number when there is one, else the SIP user. */
  remote: string;
  line: Line;
  state: 'ringing' | 'calling' | 'active' | 'ended';
  held: boolean;
  muted: boolean;
  arrivedAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  /** DTMF tones received from the far end (SIP INFO), in order. */
  tonesReceived: string;
  /** Periods on hold (the last one open while held). */
  holds: { from: number; to: number | null }[];
  /** The case this call belongs to (set by the app: the case opened on answer, or called back). */
  caseId: string | null;
  /** Where a blind transfer sent the caller. */
  transferredTo: string | null;
  /** Set when this call reached us by a transfer (SIP Referred-By). */
  referredBy: string | null;
}

export interface PhoneView {
  registration: Registration;
  account: string | null;
  /** Why the phone is not usable, in French. */
  problem: string | null;
  /** When the next reconnection attempt happens (while down). */
  retryAt: number | null;
  call: CallView | null;
}

export const IDLE_PHONE: PhoneView = { registration: 'unconfigured', account: null, problem: null, retryAt: null, call: null };

/** Which devices the phone uses (null: the system's default). */
export interface AudioDevices {
  microphoneId: string | null;
  speakerId: string | null;
  ringerId: string | null;
}

/**
 * The ringtone: the French ringing cadence (440 Hz, 1.5 s on, 3.5 s off) as a small WAV made here,
 * so that nothing is fetched and it can play on its own output (a loudspeaker while the headset
 * stays quiet).
 */
function ringtoneUrl(): string | null {
  if (typeof URL === 'undefined' || typeof Blob === 'undefined' || typeof URL.createObjectURL !== 'function') return null;
  const rate = 8000;
  const samples = rate * 5;
  const buf = new DataView(new ArrayBuffer(44 + samples * 2));
  const text = (o: number, t: string) => [...t].forEach((c, i) => buf.setUint8(o + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  buf.setUint32(4, 36 + samples * 2, true);
  text(8, 'WAVEfmt ');
  buf.setUint32(16, 16, true);
  buf.setUint16(20, 1, true);
  buf.setUint16(22, 1, true);
  buf.setUint32(24, rate, true);
  buf.setUint32(28, rate * 2, true);
  buf.setUint16(32, 2, true);
  buf.setUint16(34, 16, true);
  text(36, 'data');
  buf.setUint32(40, samples * 2, true);
  for (let i = 0; i < samples; i++) {
    const on = i < rate * 1.5;
    buf.setInt16(44 + i * 2, on ? Math.round(9000 * Math.sin((2 * Math.PI * 440 * i) / rate)) : 0, true);
  }
  return URL.createObjectURL(new Blob([buf.buffer], { type: 'audio/wav' }));
}

/** The line a call came in on: the number the caller dialled, as the PBX or gateway passes it. */
export function lineOf(headers: { called?: string | undefined; explicit?: string | undefined }): Line {
  const v = (headers.explicit ?? headers.called ?? '').replace(/\D/g, '');
  if (v === '15') return '15';
  if (v === '116117') return '116117';
  if (headers.explicit === 'professional') return 'professional';
  return '116117';
}

export class SipPhone {
  private ua: UserAgent | null = null;
  private registerer: Registerer | null = null;
  private session: Session | null = null;
  private view: PhoneView = IDLE_PHONE;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryDelay = 1_000;
  private stopped = false;
  private readonly audio: HTMLAudioElement | null = typeof Audio === 'undefined' ? null : new Audio();
  private readonly ringer: HTMLAudioElement | null = typeof Audio === 'undefined' ? null : new Audio();
  private devices: AudioDevices = { microphoneId: null, speakerId: null, ringerId: null };

  constructor(
    private readonly onChange: (view: PhoneView) => void,
    private readonly hooks: { onAnswered?: (call: CallView) => void; onEnded?: (call: CallView) => void; onReport?: (report: CallReportInput) => void } = {},
  ) {
    if (this.audio) this.audio.autoplay = true;
    if (this.ringer) {
      this.ringer.loop = true;
      const url = ringtoneUrl();
      if (url) this.ringer.src = url;
    }
  }

  private mediaOptions() {
    const mic = this.devices.microphoneId;
    return { constraints: { audio: mic ? { deviceId: { exact: mic } } : true, video: false } };
  }

  /** Microphone, call audio output (headset) and ringtone output; applied at once where possible. */
  async setDevices(devices: AudioDevices): Promise<void> {
    this.devices = devices;
    const sink = (el: HTMLAudioElement | null, id: string | null) =>
      el && 'setSinkId' in el ? (el as HTMLAudioElement & { setSinkId(id: string): Promise<void> }).setSinkId(id ?? '').catch(() => {}) : Promise.resolve();
    await Promise.all([sink(this.audio, devices.speakerId), sink(this.ringer, devices.ringerId)]);
  }

  /** Whether the ringtone is playing (diagnostics, tests). */
  get ringing(): boolean {
    return this.ringer !== null && !this.ringer.paused;
  }

  private ring(on: boolean): void {
    if (!this.ringer || !this.ringer.src) return;
    if (on) {
      this.ringer.currentTime = 0;
      void this.ringer.play().catch(() => {});
    } else this.ringer.pause();
  }

  get state(): PhoneView {
    return this.view;
  }

  private set(patch: Partial<PhoneView>): void {
    this.view = { ...this.view, ...patch };
    this.onChange(this.view);
  }

  private setCall(patch: Partial<CallView> | null): void {
    if (patch === null) this.set({ call: null });
    else if (this.view.call) this.set({ call: { ...this.view.call, ...patch } });
  }

  async start(account: SipAccount): Promise<void> {
    this.stopped = false;
    const uri = UserAgent.makeURI(`sip:${account.username}@${account.domain}`);
    if (!uri) {
      this.set({ registration: 'rejected', problem: 'Compte téléphonique invalide.' });
      return;
    }
    this.set({ registration: 'connecting', account: account.username, problem: null });
    this.ua = new UserAgent({
      uri,
      transportOptions: { server: account.wsUrl, connectionTimeout: 5 },
      authorizationUsername: account.username,
      authorizationPassword: account.password,
      logLevel: 'error',
      sessionDescriptionHandlerFactoryOptions: {
        // No STUN: sip.js's default is a public server outside the center.
        peerConnectionConfiguration: { iceServers: [] },
        iceGatheringTimeout: 500,
      },
      delegate: {
        onInvite: (invitation) => this.onInvite(invitation),
        onDisconnect: (error) => {
          if (this.stopped) return;
          this.set({ registration: 'down', problem: `Serveur téléphonique injoignable${error ? ` (${error.message})` : ''}.` });
          this.scheduleReconnect();
        },
      },
    });
    this.registerer = new Registerer(this.ua, { expires: 300 });
    this.registerer.stateChange.addListener((s) => {
      if (s === RegistererState.Registered) {
        this.retryDelay = 1_000;
        this.set({ registration: 'registered', problem: null, retryAt: null });
      }
    });
    try {
      await this.ua.start();
      await this.register();
    } catch (error) {
      this.set({ registration: 'down', problem: `Serveur téléphonique injoignable (${(error as Error).message}).` });
      this.scheduleReconnect();
    }
  }

  private register(): Promise<void> {
    return this.registerer!.register({
      requestDelegate: {
        // Accepted: registered again (after a reconnection the registerer may never have left its
        // Registered state, so its state change alone would not say so).
        onAccept: () => {
          this.retryDelay = 1_000;
          this.set({ registration: 'registered', problem: null, retryAt: null });
        },
        onReject: (r) => {
          const code = r.message.statusCode;
          this.set({
            registration: 'rejected',
            problem: code === 403 || code === 401 ? 'Identifiants téléphoniques refusés par le serveur (vérifiez le compte SIP).' : `Enregistrement refusé (${code} ${r.message.reasonPhrase}).`,
          });
        },
      },
    }).then(() => undefined);
  }

  /** Backoff with jitter (1 s doubling to 30 s), then reconnect and register again. */
  private scheduleReconnect(): void {
    if (this.retryTimer || this.stopped) return;
    const delay = this.retryDelay / 2 + Math.random() * (this.retryDelay / 2);
    this.retryDelay = Math.min(30_000, this.retryDelay * 2);
    this.set({ retryAt: Date.now() + delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.ua || this.stopped) return;
      // A connection attempt that neither opens nor fails (a half-open socket) must not stall
      // the loop: it is given up after 6 s and tried again.
      const attempt = this.ua.isConnected() ? Promise.resolve() : this.ua.reconnect();
      Promise.race([attempt, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('délai dépassé')), 6_000))])
        .then(() => this.register())
        .catch(() => {
          if (this.stopped) return;
          this.set({ registration: 'down' });
          this.scheduleReconnect();
        });
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    try {
      if (this.session) await this.hangup();
      if (this.registerer?.state === RegistererState.Registered) await this.registerer.unregister();
      await this.ua?.stop();
    } catch {
      // Leaving anyway.
    }
    this.ua = null;
    this.registerer = null;
    this.set(IDLE_PHONE);
  }

  private remoteOf(s: Session): string {
    const id = s.remoteIdentity;
    const user = id.uri.user ?? '';
    const display = id.displayName ?? '';
    if (/^\+?[\d .-]{6,}$/.test(user)) return user;
    if (/^\+?[\d .-]{6,}$/.test(display)) return display;
    return user;
  }

  /** Why the current call ends, when this side knows it before sip.js says Terminated. */
  private endReason: CallEndReason | null = null;

  private report(call: CallView, state: CallReportInput['state'], endReason: CallEndReason | null = null): void {
    this.hooks.onReport?.({
      callId: call.callId,
      direction: call.direction,
      line: call.line,
      remote: call.remote.slice(0, 100),
      ...(call.referredBy ? { referredBy: call.referredBy.slice(0, 200) } : {}),
      state,
      arrivedAt: call.arrivedAt,
      answeredAt: call.answeredAt,
      endedAt: state === 'ended' ? (call.endedAt ?? Date.now()) : null,
      endReason: state === 'ended' ? endReason : null,
      ...(call.transferredTo ? { transferredTo: call.transferredTo.slice(0, 100) } : {}),
      ...(call.caseId ? { caseId: call.caseId } : {}),
    });
  }

  private wire(s: Session, direction: 'in' | 'out', line: Line, referredBy: string | null = null): void {
    this.session = s;
    this.endReason = null;
    const callId = s instanceof Invitation ? s.request.callId : (s as Inviter).request.callId;
    this.set({
      call: { callId, direction, remote: this.remoteOf(s), line, state: direction === 'in' ? 'ringing' : 'calling', held: false, muted: false, arrivedAt: Date.now(), answeredAt: null, endedAt: null, tonesReceived: '', holds: [], caseId: null, transferredTo: null, referredBy },
    });
    this.report(this.view.call!, 'ringing');
    if (direction === 'in') this.ring(true);
    s.stateChange.addListener((state) => {
      if (state === SessionState.Established || state === SessionState.Terminated) this.ring(false);
      if (this.session !== s) return;
      if (state === SessionState.Established) {
        this.setCall({ state: 'active', answeredAt: Date.now() });
        const sdh = s.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined;
        if (this.audio && sdh) this.audio.srcObject = sdh.remoteMediaStream;
        if (this.view.call) this.report(this.view.call, 'answered');
        if (direction === 'in' && this.view.call) this.hooks.onAnswered?.(this.view.call);
      }
      if (state === SessionState.Terminated) {
        const now = Date.now();
        this.setCall({ state: 'ended', endedAt: now, holds: (this.view.call?.holds ?? []).map((h) => (h.to === null ? { ...h, to: now } : h)) });
        this.session = null;
        if (this.audio) this.audio.srcObject = null;
        const ended = this.view.call;
        if (ended) {
          this.report(ended, 'ended', this.endReason ?? (ended.answeredAt === null && ended.direction === 'out' ? 'failed' : 'caller_hung_up'));
          this.hooks.onEnded?.(ended);
        }
      }
    });
    s.delegate = {
      onBye: (bye) => {
        this.endReason ??= 'caller_hung_up';
        void bye.accept();
      },
      // The caller hung up while it rang, or another phone of the center took the call.
      onCancel: (cancel) => {
        const reason = cancel.request.getHeader('Reason') ?? '';
        this.endReason = /cause=200\b/.test(reason) ? 'answered_elsewhere' : reason ? 'cancelled' : 'caller_hung_up';
      },
      // Transferred by the far end (a REFER): call the new party; this call then ends.
      onRefer: (referral) => {
        void referral.accept().then(() => {
          const next = referral.makeInviter({ sessionDescriptionHandlerOptions: this.mediaOptions() });
          const caseId = this.view.call?.caseId ?? null;
          this.wire(next, 'out', 'other');
          if (caseId) this.setCall({ caseId });
          void next.invite();
        });
      },
      onInfo: (info) => {
        const tone = /Signal=\s*([0-9*#])/.exec(info.request.body ?? '')?.[1];
        if (tone && this.session === s && this.view.call) this.setCall({ tonesReceived: this.view.call.tonesReceived + tone });
        void info.accept();
      },
    };
  }

  private onInvite(invitation: Invitation): void {
    // With the softphone panel's 'incoming-shown' measure: INVITE → call on screen (benchmark).
    performance.mark('sip-invite-received');
    // A second call while busy: refused for now (486), the caller hears busy and may retry.
    const req = invitation.request;
    const line = lineOf({ explicit: req.getHeader('X-Permanence-Line'), called: req.getHeader('P-Called-Party-ID') ?? req.to.uri.user });
    const referredBy = req.getHeader('Referred-By') ?? null;
    if (this.session) {
      void invitation.reject({ statusCode: 486 });
      // Still a call the center received: it goes to the call log as refused here.
      const now = Date.now();
      const remote = req.from.uri.user ?? '';
      this.hooks.onReport?.({ callId: req.callId, direction: 'in', line, remote: remote.slice(0, 100), ...(referredBy ? { referredBy: referredBy.slice(0, 200) } : {}), state: 'ended', arrivedAt: now, answeredAt: null, endedAt: now, endReason: 'rejected' });
      return;
    }
    this.wire(invitation, 'in', line, referredBy);
  }

  async answer(): Promise<void> {
    const s = this.session;
    if (!(s instanceof Invitation) || s.state !== SessionState.Initial) return;
    await s.accept({ sessionDescriptionHandlerOptions: this.mediaOptions() });
  }

  async hangup(): Promise<void> {
    const s = this.session;
    if (!s) return;
    if (s instanceof Invitation && s.state === SessionState.Initial) {
      this.endReason = 'rejected';
      await s.reject();
    } else if (s instanceof Inviter && (s.state === SessionState.Initial || s.state === SessionState.Establishing)) {
      this.endReason = 'cancelled';
      await s.cancel();
    } else if (s.state === SessionState.Established) {
      this.endReason ??= 'agent_hung_up';
      await s.bye();
    }
  }

  /** Attach the current call to a case (its record goes there when it ends). */
  attachCase(callId: string, caseId: string): void {
    if (this.view.call?.callId !== callId) return;
    this.setCall({ caseId });
    const c = this.view.call;
    // The call log learns the case too (statistics by sector go through it).
    this.report(c, c.state === 'ended' ? 'ended' : c.state === 'active' ? 'answered' : 'ringing', c.state === 'ended' ? (this.endReason ?? 'caller_hung_up') : null);
    // Already over (a very short call): its record goes to the case now.
    if (c.state === 'ended') this.hooks.onEnded?.(c);
  }

  async call(target: string, caseId: string | null = null): Promise<void> {
    if (!this.ua || this.session) return;
    const digits = target.replace(/[\s.-]/g, '');
    const uri = UserAgent.makeURI(`sip:${digits}@${this.ua.configuration.uri.host}`);
    if (!uri) throw new Error(`Numéro invalide : ${target}`);
    const inviter = new Inviter(this.ua, uri, { sessionDescriptionHandlerOptions: this.mediaOptions() });
    this.wire(inviter, 'out', 'other');
    if (caseId) this.setCall({ caseId });
    await inviter.invite({
      requestDelegate: {
        onReject: (r) => this.set({ problem: `Appel refusé : ${r.message.statusCode} ${r.message.reasonPhrase}` }),
      },
    });
  }

  /**
   * Blind transfer (REFER): the caller is sent to another number or extension (the SAMU's
   * regulator, a colleague); once the far end reports the new call answered, this one is hung up.
   */
  async transfer(target: string): Promise<void> {
    const s = this.session;
    if (!this.ua || !s || s.state !== SessionState.Established) return;
    const uri = UserAgent.makeURI(`sip:${target.replace(/[\s.-]/g, '')}@${this.ua.configuration.uri.host}`);
    if (!uri) throw new Error(`Destination invalide : ${target}`);
    this.setCall({ transferredTo: target });
    await s.refer(uri, {
      onNotify: (notification) => {
        void notification.accept();
        if (/SIP\/2\.0 2\d\d/.test(notification.request.body ?? '') && s.state === SessionState.Established) {
          this.endReason = 'transferred';
          void s.bye();
        }
      },
      requestDelegate: {
        onReject: (r) => {
          this.setCall({ transferredTo: null });
          this.set({ problem: `Transfert refusé : ${r.message.statusCode} ${r.message.reasonPhrase}` });
        },
      },
    });
  }

  /** Hold and resume by re-INVITE (a=sendonly / a=sendrecv). */
  async setHeld(held: boolean): Promise<void> {
    const s = this.session;
    if (!s || s.state !== SessionState.Established || this.view.call?.held === held) return;
    s.sessionDescriptionHandlerOptionsReInvite = { hold: held } as never;
    await new Promise<void>((resolve, reject) => {
      void s
        .invite({
          requestDelegate: {
            onAccept: () => {
              const now = Date.now();
              const holds = this.view.call?.holds ?? [];
              this.setCall({ held, holds: held ? [...holds, { from: now, to: null }] : holds.map((h) => (h.to === null ? { ...h, to: now } : h)) });
              resolve();
            },
            onReject: () => reject(new Error('mise en attente refusée')),
          },
        })
        .catch(reject);
    });
  }

  setMuted(muted: boolean): void {
    const sdh = this.session?.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined;
    if (!sdh) return;
    sdh.enableSenderTracks(!muted);
    this.setCall({ muted });
  }

  /** DTMF as SIP INFO (application/dtmf-relay): what IVRs and PBXs behind Kamailio read. */
  async dtmf(tone: string): Promise<void> {
    const s = this.session;
    if (!s || s.state !== SessionState.Established || !/^[0-9*#]$/.test(tone)) return;
    await s.info({ requestOptions: { body: { contentDisposition: 'render', contentType: 'application/dtmf-relay', content: `Signal=${tone}\r\nDuration=160\r\n` } } });
  }

  /** Audio packets received and sent on the current call (diagnostics, tests). */
  async stats(): Promise<{ received: number; sent: number } | null> {
    const pc = (this.session?.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined)?.peerConnection;
    if (!pc) return null;
    let received = 0;
    let sent = 0;
    (await pc.getStats()).forEach((r: { type: string; kind?: string; packetsReceived?: number; packetsSent?: number }) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') received += r.packetsReceived ?? 0;
      if (r.type === 'outbound-rtp' && r.kind === 'audio') sent += r.packetsSent ?? 0;
    });
    return { received, sent };
  }
}
