/**
 * The softphone adapter: sip.js in the renderer (WebRTC lives here). One user agent per session,
 * registered with the user's account from the center's configuration; incoming and outgoing
 * calls, answer, hang-up, hold, mute, DTMF; two lines (a second call waits while the first is
 * held), blind and attended transfer, three-way conference mixed here; automatic reconnection with backoff when the
 * WebSocket drops (sip.js has none), then re-registration. No STUN server is ever contacted (sip.js
 * would otherwise ask a public one). The UI reads a plain snapshot (`PhoneView`).
 */
import { Invitation, Inviter, Registerer, RegistererState, SessionState, SIPExtension, UserAgent, type Session, type Web } from 'sip.js';
import type { Line } from '../../../src-shared/domain/codes';
import type { SipAccount } from '../../../src-shared/sync-protocol/messages';
import type { CallEndReason, CallReport } from '../../../src-shared/schemas/call-log';

/** What the phone tells the center's call log (the core adds the report's id). */
export type CallReportInput = Omit<CallReport, 'id'>;

export type Registration = 'unconfigured' | 'connecting' | 'registered' | 'rejected' | 'down';

/** The SIP header naming the Hub Santé case a call is about (the SAMU's transfers, ours to the SAMU). */
export const HUB_CASE_HEADER = 'X-Permanence-Hub-Case';

/** A Hub case id as it may travel in a header: printable, no spaces, bounded; anything else is dropped. */
export function hubCaseOf(value: string | null | undefined): string | null {
  return value && /^[A-Za-z0-9._:-]{3,128}$/.test(value) ? value : null;
}

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
  /** The Hub Santé case this call is about (X-Permanence-Hub-Case: the SAMU's transfer of a case it sent). */
  hubCaseId: string | null;
  /** A consultation call placed while `consultFor` waits on hold (attended transfer). */
  consultFor: string | null;
  /** Times the call was taken over on a new signalling connection after the SIP server came back. */
  recovered?: number;
}

export interface PhoneView {
  registration: Registration;
  account: string | null;
  /** Why the phone is not usable, in French. */
  problem: string | null;
  /** When the next reconnection attempt happens (while down). */
  retryAt: number | null;
  /** The call in front of the user (or the last one, ended). */
  call: CallView | null;
  /** The other line: a call on hold, or a second call ringing while one is in progress. */
  others: CallView[];
  /** Both lines are joined in a three-way conference (mixed on this workstation). */
  conference: boolean;
  /** The phone registered at least once since it started: a loss is an outage, not a phone never started. */
  everRegistered?: boolean;
}

export const IDLE_PHONE: PhoneView = { registration: 'unconfigured', account: null, problem: null, retryAt: null, call: null, others: [], conference: false };

/** Calls at once on one phone: a third one gets busy. */
export const MAX_LINES = 2;
/** A call's take-over after a reconnection, while the other side's phone has not registered again: this often, this many times (≈ 30 s). */
const RECOVERY_RETRY_MS = 2_000;
const RECOVERY_ATTEMPTS = 15;

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

interface PhoneLine {
  session: Session;
  view: CallView;
  /** Why it ends, when this side knows it before sip.js says Terminated. */
  endReason: CallEndReason | null;
  audio: HTMLAudioElement | null;
}

/**
 * A three-way conference on this workstation: each far end hears the microphone and the other far
 * end (Web Audio mixes them into the track sent on each call); the user hears both.
 */
class ConferenceMixer {
  private readonly ctx = new AudioContext();
  private readonly originals: { sender: RTCRtpSender; track: MediaStreamTrack | null }[] = [];

  constructor(private readonly a: Web.SessionDescriptionHandler, private readonly b: Web.SessionDescriptionHandler) {}

  async start(): Promise<void> {
    const mic = this.a.localMediaStream;
    const legs: [Web.SessionDescriptionHandler, Web.SessionDescriptionHandler][] = [
      [this.a, this.b],
      [this.b, this.a],
    ];
    for (const [to, other] of legs) {
      const out = this.ctx.createMediaStreamDestination();
      if (mic.getAudioTracks().length) this.ctx.createMediaStreamSource(mic).connect(out);
      if (other.remoteMediaStream.getAudioTracks().length) this.ctx.createMediaStreamSource(other.remoteMediaStream).connect(out);
      const sender = to.peerConnection?.getSenders().find((x) => x.track?.kind === 'audio');
      if (!sender) continue;
      this.originals.push({ sender, track: sender.track });
      await sender.replaceTrack(out.stream.getAudioTracks()[0]!);
    }
    await this.ctx.resume().catch(() => {});
  }

  async stop(): Promise<void> {
    for (const o of this.originals) await o.sender.replaceTrack(o.track).catch(() => {});
    await this.ctx.close().catch(() => {});
  }
}

export class SipPhone {
  private ua: UserAgent | null = null;
  private registerer: Registerer | null = null;
  /** The calls on this phone (at most MAX_LINES), in arrival order. */
  private lines: PhoneLine[] = [];
  private focusId: string | null = null;
  /** The last call that ended, shown until the next one. */
  private lastEnded: CallView | null = null;
  private mixer: ConferenceMixer | null = null;
  private view: PhoneView = IDLE_PHONE;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryDelay = 1_000;
  private stopped = false;
  private readonly ringer: HTMLAudioElement | null = typeof Audio === 'undefined' ? null : new Audio();
  private devices: AudioDevices = { microphoneId: null, speakerId: null, ringerId: null };

  constructor(
    private readonly onChange: (view: PhoneView) => void,
    private readonly hooks: { onAnswered?: (call: CallView) => void; onEnded?: (call: CallView) => void; onReport?: (report: CallReportInput) => void } = {},
  ) {
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
    await Promise.all([...this.lines.map((l) => sink(l.audio, devices.speakerId)), sink(this.ringer, devices.ringerId)]);
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
      // The server hands out HA1 only; a local setup may still give a password.
      ...(account.ha1 ? { authorizationHa1: account.ha1 } : { authorizationPassword: account.password ?? '' }),
      logLevel: 'error',
      sessionDescriptionHandlerFactoryOptions: {
        // No STUN: sip.js's default is a public server outside the center.
        peerConnectionConfiguration: { iceServers: [] },
        iceGatheringTimeout: 500,
      },
      // Attended transfers end here with an INVITE that replaces a call of ours.
      sipExtensionReplaces: SIPExtension.Supported,
      // An instance id in the registration: the SIP server gives this phone a GRUU, the Contact of
      // its calls, so that the other side's requests (its hang-up) find the phone's registration of
      // the moment: after a restart of the SIP server too, once this phone has registered again.
      instanceIdAlwaysAdded: true,
      delegate: {
        onInvite: (invitation) => this.onInvite(invitation),
        onDisconnect: (error) => {
          if (this.stopped) return;
          this.linkLost = true;
          if (error) console.warn('[téléphone] connexion perdue :', error.message);
          this.set({ registration: 'down', problem: unreachableSip(account.wsUrl) });
          this.scheduleReconnect();
        },
      },
    });
    this.registerer = new Registerer(this.ua, { expires: 300 });
    // A closed window or tab leaves no binding behind to ring for nothing (best effort).
    if (typeof window !== 'undefined') window.addEventListener('pagehide', () => void this.registerer?.unregister().catch(() => {}), { once: true });
    this.registerer.stateChange.addListener((s) => {
      if (s === RegistererState.Registered) {
        this.retryDelay = 1_000;
        this.set({ registration: 'registered', problem: null, retryAt: null, everRegistered: true });
        this.recoverCalls();
      }
    });
    try {
      await this.ua.start();
      await this.register();
    } catch (error) {
      console.warn('[téléphone] démarrage :', (error as Error).message);
      this.set({ registration: 'down', problem: unreachableSip(account.wsUrl) });
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
          this.set({ registration: 'registered', problem: null, retryAt: null, everRegistered: true });
          this.recoverCalls();
        },
        onReject: (r) => {
          const code = r.message.statusCode;
          if (code === 403 || code === 401 || code === 404) {
            this.set({ registration: 'rejected', problem: 'Identifiants téléphoniques refusés par le serveur (vérifiez le compte SIP).' });
            return;
          }
          // A server that is busy or restarting (5xx, 408): tried again with backoff.
          this.set({ registration: 'down', problem: `Enregistrement refusé (${code} ${r.message.reasonPhrase}) : nouvel essai.` });
          this.scheduleReconnect();
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
      for (const l of [...this.lines]) await this.hangup(l.view.callId);
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

  /**
   * Tell the call log, once the screen has been updated: the report crosses to the core and is
   * written to disk, which must not delay showing or answering the call.
   */
  private report(call: CallView, state: CallReportInput['state'], endReason: CallEndReason | null = null): void {
    setTimeout(() => this.sendReport(call, state, endReason), 0);
  }

  private sendReport(call: CallView, state: CallReportInput['state'], endReason: CallEndReason | null): void {
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

  private lineOf(callId?: string): PhoneLine | undefined {
    const id = callId ?? this.focusId;
    return this.lines.find((l) => l.view.callId === id);
  }

  /** The view the UI reads: the call in front, the other line, the conference. */
  private publish(): void {
    const focused = this.lineOf();
    this.set({
      call: focused?.view ?? this.lastEnded,
      others: this.lines.filter((l) => l !== focused).map((l) => l.view),
      conference: this.mixer !== null,
    });
  }

  private update(line: PhoneLine, patch: Partial<CallView>): void {
    line.view = { ...line.view, ...patch };
    this.publish();
  }

  private sdhOf(line: PhoneLine | undefined): Web.SessionDescriptionHandler | undefined {
    return line?.session.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined;
  }

  private wire(s: Session, direction: 'in' | 'out', line: Line, referredBy: string | null = null, consultFor: string | null = null, hubCaseId: string | null = null): PhoneLine {
    const callId = s instanceof Invitation ? s.request.callId : (s as Inviter).request.callId;
    const audio = typeof Audio === 'undefined' ? null : new Audio();
    if (audio) {
      audio.autoplay = true;
      if (this.devices.speakerId && 'setSinkId' in audio) void (audio as HTMLAudioElement & { setSinkId(id: string): Promise<void> }).setSinkId(this.devices.speakerId).catch(() => {});
    }
    const entry: PhoneLine = {
      session: s,
      endReason: null,
      audio,
      view: { callId, direction, remote: this.remoteOf(s), line, state: direction === 'in' ? 'ringing' : 'calling', held: false, muted: false, arrivedAt: Date.now(), answeredAt: null, endedAt: null, tonesReceived: '', holds: [], caseId: null, transferredTo: null, referredBy, consultFor, hubCaseId },
    };
    this.lines.push(entry);
    // A new call comes to the front unless another is in progress (then it waits as the second line).
    const busy = this.lines.some((l) => l !== entry && l.view.state === 'active' && !l.view.held);
    if (!this.focusId || !busy || direction === 'out') this.focusId = callId;
    this.lastEnded = null;
    this.publish();
    this.report(entry.view, 'ringing');
    // The ringtone starts right after the call is on screen (starting audio takes a few ms).
    if (direction === 'in') setTimeout(() => entry.view.state === 'ringing' && this.ring(true), 0);
    s.stateChange.addListener((state) => {
      if (state === SessionState.Established) {
        if (!this.lines.some((l) => l.view.state === 'ringing' && l !== entry)) this.ring(false);
        this.update(entry, { state: 'active', answeredAt: Date.now() });
        const sdh = this.sdhOf(entry);
        if (entry.audio && sdh) entry.audio.srcObject = sdh.remoteMediaStream;
        this.report(entry.view, 'answered');
        if (direction === 'in') this.hooks.onAnswered?.(entry.view);
      }
      if (state === SessionState.Terminated) this.onTerminated(entry);
    });
    s.delegate = {
      onBye: (bye) => {
        entry.endReason ??= 'caller_hung_up';
        void bye.accept();
      },
      // The caller hung up while it rang, or another phone of the center took the call.
      onCancel: (cancel) => {
        const reason = cancel.request.getHeader('Reason') ?? '';
        entry.endReason = /cause=200\b/.test(reason) ? 'answered_elsewhere' : reason ? 'cancelled' : 'caller_hung_up';
      },
      // Transferred by the far end (a REFER): call the new party; this call then ends.
      onRefer: (referral) => {
        void referral.accept().then(() => {
          const next = referral.makeInviter({ sessionDescriptionHandlerOptions: this.mediaOptions() });
          const caseId = entry.view.caseId;
          const l = this.wire(next, 'out', 'other');
          if (caseId) this.update(l, { caseId });
          void next.invite();
        });
      },
      onInfo: (info) => {
        const tone = /Signal=\s*([0-9*#])/.exec(info.request.body ?? '')?.[1];
        if (tone) this.update(entry, { tonesReceived: entry.view.tonesReceived + tone });
        void info.accept();
      },
    };
    return entry;
  }

  private onTerminated(entry: PhoneLine): void {
    if (!this.lines.includes(entry)) return;
    const now = Date.now();
    entry.view = { ...entry.view, state: 'ended', endedAt: now, holds: entry.view.holds.map((h) => (h.to === null ? { ...h, to: now } : h)) };
    if (entry.audio) entry.audio.srcObject = null;
    this.lines = this.lines.filter((l) => l !== entry);
    if (this.mixer) {
      void this.mixer.stop();
      this.mixer = null;
    }
    if (!this.lines.some((l) => l.view.state === 'ringing')) this.ring(false);
    if (this.focusId === entry.view.callId) {
      // The other line comes to the front (still on hold: the user resumes it).
      this.focusId = this.lines[0]?.view.callId ?? null;
      this.lastEnded = this.focusId ? null : entry.view;
    }
    this.publish();
    const reason = entry.endReason ?? (entry.view.answeredAt === null && entry.view.direction === 'out' ? 'failed' : 'caller_hung_up');
    this.report(entry.view, 'ended', reason);
    this.hooks.onEnded?.(entry.view);
  }

  private onInvite(invitation: Invitation): void {
    // With the softphone panel's 'incoming-shown' measure: INVITE → call on screen (benchmark).
    performance.mark('sip-invite-received');
    const req = invitation.request;
    const line = lineOf({ explicit: req.getHeader('X-Permanence-Line'), called: req.getHeader('P-Called-Party-ID') ?? req.to.uri.user });
    const referredBy = req.getHeader('Referred-By') ?? null;
    // The end of an attended transfer: this call replaces one of ours with the same party's
    // colleague on the line; it is taken at once and the replaced call ends.
    const replaced = invitation.replacee ? this.lines.find((l) => l.session === invitation.replacee) : undefined;
    if (replaced) {
      const entry = this.wire(invitation, 'in', replaced.view.line, referredBy ?? 'attended transfer');
      if (replaced.view.caseId) this.update(entry, { caseId: replaced.view.caseId });
      this.focusId = entry.view.callId;
      replaced.endReason = 'transferred';
      void invitation.accept({ sessionDescriptionHandlerOptions: this.mediaOptions() }).then(() => {
        if (replaced.session.state === SessionState.Established) void replaced.session.bye();
      });
      return;
    }
    if (this.lines.length >= MAX_LINES) {
      void invitation.reject({ statusCode: 486 });
      // Still a call the center received: it goes to the call log as refused here.
      const now = Date.now();
      const remote = req.from.uri.user ?? '';
      this.hooks.onReport?.({ callId: req.callId, direction: 'in', line, remote: remote.slice(0, 100), ...(referredBy ? { referredBy: referredBy.slice(0, 200) } : {}), state: 'ended', arrivedAt: now, answeredAt: null, endedAt: now, endReason: 'rejected' });
      return;
    }
    this.wire(invitation, 'in', line, referredBy, null, hubCaseOf(req.getHeader(HUB_CASE_HEADER)));
  }

  /** Answer a ringing call (the first one ringing by default); a call in progress goes on hold first. */
  async answer(callId?: string): Promise<void> {
    const target = callId ? this.lineOf(callId) : this.lines.find((l) => l.view.state === 'ringing');
    if (!target || !(target.session instanceof Invitation) || target.session.state !== SessionState.Initial) return;
    for (const l of this.lines) if (l !== target && l.view.state === 'active' && !l.view.held) await this.setHeld(true, l.view.callId);
    // Accept first: redrawing the panel before would delay the audio by a frame's work.
    const refocus = this.focusId !== target.view.callId;
    this.focusId = target.view.callId;
    const accepted = target.session.accept({ sessionDescriptionHandlerOptions: this.mediaOptions() });
    if (refocus) this.publish();
    await accepted;
  }

  async hangup(callId?: string): Promise<void> {
    const l = this.lineOf(callId);
    if (!l) return;
    const s = l.session;
    if (s instanceof Invitation && s.state === SessionState.Initial) {
      l.endReason = 'rejected';
      await s.reject();
    } else if (s instanceof Inviter && (s.state === SessionState.Initial || s.state === SessionState.Establishing)) {
      l.endReason = 'cancelled';
      await s.cancel();
    } else if (s.state === SessionState.Established) {
      l.endReason ??= 'agent_hung_up';
      await s.bye();
    }
  }

  /** Attach a call to a case (its record goes there when it ends). */
  attachCase(callId: string, caseId: string): void {
    const l = this.lineOf(callId);
    const c = l?.view ?? (this.lastEnded?.callId === callId ? this.lastEnded : null);
    if (!c) return;
    if (l) this.update(l, { caseId });
    else this.lastEnded = { ...c, caseId };
    const v = l?.view ?? this.lastEnded!;
    // The call log learns the case too (statistics by sector go through it).
    this.report(v, v.state === 'ended' ? 'ended' : v.state === 'active' ? 'answered' : 'ringing', v.state === 'ended' ? 'caller_hung_up' : null);
    // Already over (a very short call): its record goes to the case now.
    if (v.state === 'ended') {
      this.publish();
      this.hooks.onEnded?.(v);
    }
  }

  private newInviter(target: string, presentAs: string | null = null, hubCaseId: string | null = null): Inviter {
    if (!this.ua) throw new Error('Téléphone non connecté.');
    const digits = target.replace(/[\s.-]/g, '');
    const uri = UserAgent.makeURI(`sip:${digits}@${this.ua.configuration.uri.host}`);
    if (!uri) throw new Error(`Numéro invalide : ${target}`);
    const extraHeaders = presentAs && /^\+?[0-9]{4,15}$/.test(presentAs) ? [`P-Preferred-Identity: <sip:${presentAs}@${this.ua.configuration.uri.host}>`] : [];
    if (hubCaseOf(hubCaseId)) extraHeaders.push(`${HUB_CASE_HEADER}: ${hubCaseId}`);
    return new Inviter(this.ua, uri, { sessionDescriptionHandlerOptions: this.mediaOptions(), extraHeaders });
  }

  private async place(inviter: Inviter): Promise<void> {
    await inviter.invite({
      requestDelegate: {
        onReject: (r) => this.set({ problem: `Appel refusé : ${r.message.statusCode} ${r.message.reasonPhrase}` }),
      },
    });
  }

  /**
   * Call a number; resolves with the call's id (null when nothing was dialled: no phone, a call
   * already up). `presentAs`: the number the patient sees (a line's callback number), asked of the
   * operator's trunk with P-Preferred-Identity.
   */
  async call(target: string, caseId: string | null = null, presentAs: string | null = null): Promise<string | null> {
    if (!this.ua || this.lines.length > 0) return null;
    const inviter = this.newInviter(target, presentAs);
    const entry = this.wire(inviter, 'out', 'other');
    if (caseId) this.update(entry, { caseId });
    await this.place(inviter);
    return entry.view.callId;
  }

  /**
   * Blind transfer (REFER): the caller is sent to another number or extension (the SAMU's
   * regulator, a colleague); once the far end reports the new call answered, this one is hung up.
   */
  async transfer(target: string, hubCaseId: string | null = null): Promise<void> {
    const l = this.lineOf();
    if (!this.ua || !l || l.session.state !== SessionState.Established) return;
    // The Hub case rides in the Refer-To as an embedded header (RFC 3261 19.1.1): the caller's new
    // INVITE carries it to the SAMU, whose workstation opens the case sent over the Hub.
    const embedded = hubCaseOf(hubCaseId) ? `?${HUB_CASE_HEADER}=${encodeURIComponent(hubCaseId!)}` : '';
    const uri = UserAgent.makeURI(`sip:${target.replace(/[\s.-]/g, '')}@${this.ua.configuration.uri.host}${embedded}`);
    if (!uri) throw new Error(`Destination invalide : ${target}`);
    this.update(l, { transferredTo: target });
    if (embedded) {
      // sip.js writes a blind transfer's Refer-To without angle brackets, which is invalid once the
      // URI carries headers (RFC 3261 20.10): the far end's parser refuses it. Bracketed here.
      const bracketed = uri.clone();
      bracketed.toString = () => `<${uri.toString()}>`;
      await this.refer(l, bracketed);
      return;
    }
    await this.refer(l, uri);
  }

  private async refer(l: PhoneLine, to: NonNullable<ReturnType<typeof UserAgent.makeURI>> | Session): Promise<void> {
    const s = l.session;
    await s.refer(to, {
      onNotify: (notification) => {
        void notification.accept();
        if (/SIP\/2\.0 2\d\d/.test(notification.request.body ?? '') && s.state === SessionState.Established) {
          l.endReason = 'transferred';
          void s.bye();
        }
      },
      requestDelegate: {
        onReject: (r) => {
          this.update(l, { transferredTo: null });
          this.set({ problem: `Transfert refusé : ${r.message.statusCode} ${r.message.reasonPhrase}` });
        },
      },
    });
  }

  /**
   * Attended transfer, first step: the caller waits on hold while this phone calls the colleague
   * (the SAMU's regulator) to present the case.
   */
  async consult(target: string, hubCaseId: string | null = null): Promise<void> {
    const held = this.lineOf();
    if (!this.ua || !held || held.session.state !== SessionState.Established || this.lines.length >= MAX_LINES) return;
    if (!held.view.held) await this.setHeld(true, held.view.callId);
    const inviter = this.newInviter(target, null, hubCaseId);
    const entry = this.wire(inviter, 'out', 'other', null, held.view.callId);
    if (held.view.caseId) this.update(entry, { caseId: held.view.caseId });
    await this.place(inviter);
  }

  /** Attended transfer, second step: the caller is put through to the colleague consulted (REFER with Replaces). */
  async completeTransfer(): Promise<void> {
    const consult = this.lines.find((l) => l.view.consultFor !== null && l.session.state === SessionState.Established);
    const caller = consult ? this.lineOf(consult.view.consultFor!) : undefined;
    if (!consult || !caller || caller.session.state !== SessionState.Established) return;
    const dialog = consult.session.dialog;
    if (!this.ua || !dialog) return;
    this.update(caller, { transferredTo: consult.view.remote });
    consult.endReason = 'transferred';
    // Refer-To must name the colleague's address (the registrar routes it; a browser's contact,
    // which sip.js would use, is unroutable), with Replaces naming our call with them: their phone
    // swaps it for the caller's. sip.js formats Refer-To from the session it is given: it gets one
    // whose remote target is that address.
    const aor = UserAgent.makeURI(`sip:${consult.session.remoteIdentity.uri.user}@${this.ua.configuration.uri.host}`);
    if (!aor) throw new Error('adresse du collègue invalide');
    const target = {
      remoteIdentity: consult.session.remoteIdentity,
      dialog: { remoteTarget: aor, callId: dialog.callId, remoteTag: dialog.remoteTag, localTag: dialog.localTag },
    } as unknown as Session;
    await this.refer(caller, target);
  }

  /** Hold the call in front and resume the other line. */
  async swap(): Promise<void> {
    const front = this.lineOf();
    const other = this.lines.find((l) => l !== front && l.session.state === SessionState.Established);
    if (!front || !other || this.mixer) return;
    if (front.session.state === SessionState.Established && !front.view.held) await this.setHeld(true, front.view.callId);
    this.focusId = other.view.callId;
    this.publish();
    if (other.view.held) await this.setHeld(false, other.view.callId);
  }

  /** Join both lines: everyone hears everyone (the caller, this user, the colleague). */
  async startConference(): Promise<void> {
    const [a, b] = this.lines;
    if (!a || !b || this.mixer || a.session.state !== SessionState.Established || b.session.state !== SessionState.Established) return;
    for (const l of [a, b]) if (l.view.held) await this.setHeld(false, l.view.callId);
    const sa = this.sdhOf(a);
    const sb = this.sdhOf(b);
    if (!sa || !sb) return;
    this.mixer = new ConferenceMixer(sa, sb);
    await this.mixer.start();
    this.publish();
  }

  /**
   * After the signalling link came back (a new WebSocket), calls in progress still have their
   * media (it never went through the SIP server), but the far end would send its BYE or re-INVITE
   * to the old, dead connection. A re-INVITE with the same media over the new connection tells it
   * where this phone is now (the SIP server stamps the new connection in our Contact).
   */
  private linkLost = false;

  private recoverCalls(): void {
    if (!this.linkLost) return;
    this.linkLost = false;
    for (const l of this.lines) this.recoverCall(l, 1);
  }

  /**
   * A call taken over on the new connection (a re-INVITE). The other side hung up meanwhile (481:
   * its hang-up could not reach this phone): the call is over here too. Its phone not registered
   * again yet (the SIP server restarted: 480, 408): tried again a little later.
   */
  private recoverCall(l: PhoneLine, attempt: number): void {
    const s = l.session;
    if (s.state !== SessionState.Established || this.stopped) return;
    s.sessionDescriptionHandlerOptionsReInvite = { hold: l.view.held } as never;
    void s
      .invite({
        requestDelegate: {
          onAccept: () => this.update(l, { recovered: (l.view.recovered ?? 0) + 1 }),
          onReject: (r) => {
            const code = r.message.statusCode;
            if (code === 481) {
              void s.bye().catch(() => {});
              return;
            }
            if ((code === 480 || code === 408 || code === 503) && attempt < RECOVERY_ATTEMPTS) {
              setTimeout(() => this.recoverCall(l, attempt + 1), RECOVERY_RETRY_MS);
              return;
            }
            this.set({ problem: `Appel avec ${l.view.remote} : reprise après coupure refusée par le serveur.` });
          },
        },
      })
      .catch(() => {});
  }

  /** Hold and resume by re-INVITE (a=sendonly / a=sendrecv). */
  async setHeld(held: boolean, callId?: string): Promise<void> {
    const l = this.lineOf(callId);
    const s = l?.session;
    if (!l || !s || s.state !== SessionState.Established || l.view.held === held) return;
    s.sessionDescriptionHandlerOptionsReInvite = { hold: held } as never;
    await new Promise<void>((resolve, reject) => {
      void s
        .invite({
          requestDelegate: {
            onAccept: () => {
              const now = Date.now();
              const holds = l.view.holds;
              this.update(l, { held, holds: held ? [...holds, { from: now, to: null }] : holds.map((h) => (h.to === null ? { ...h, to: now } : h)) });
              resolve();
            },
            onReject: () => reject(new Error('mise en attente refusée')),
          },
        })
        .catch(reject);
    });
  }

  setMuted(muted: boolean): void {
    const l = this.lineOf();
    const sdh = this.sdhOf(l);
    if (!l || !sdh) return;
    sdh.enableSenderTracks(!muted);
    this.update(l, { muted });
  }

  /** DTMF as SIP INFO (application/dtmf-relay): what IVRs and PBXs behind Kamailio read. */
  async dtmf(tone: string): Promise<void> {
    const s = this.lineOf()?.session;
    if (!s || s.state !== SessionState.Established || !/^[0-9*#]$/.test(tone)) return;
    await s.info({ requestOptions: { body: { contentDisposition: 'render', contentType: 'application/dtmf-relay', content: `Signal=${tone}\r\nDuration=160\r\n` } } });
  }

  /** Audio packets received and sent on a call (default: the one in front; diagnostics, tests). */
  async stats(callId?: string): Promise<{ received: number; sent: number } | null> {
    const pc = this.sdhOf(this.lineOf(callId))?.peerConnection;
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

/** Said in French, with where: sip.js's "WebSocket closed ws://… (code: 1006)" goes to the console only. */
function unreachableSip(wsUrl: string): string {
  let where = wsUrl;
  try {
    where = new URL(wsUrl).host;
  } catch {
    // keep it whole
  }
  return `Serveur téléphonique injoignable (${where}).`;
}
