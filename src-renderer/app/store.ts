/**
 * UI state in one zustand store: what the user is doing and what the core pushed. Never a second
 * database: cases are fetched from the core and refreshed on `case.changed`.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { Bridge } from '../../src-shared/contract/bridge';
import type { MethodInput, MethodName, MethodOutput, Session } from '../../src-shared/contract/methods';
import type { AppError } from '../../src-shared/domain/result';
import type { CaseSummary, RegulationCase } from '../../src-shared/schemas/case';
import type { Role } from '../../src-shared/domain/codes';
import { patchQueue, patchRecent } from '../../src-shared/domain/queue';
import type { Directory, DirectoryKind } from '../../src-shared/schemas/directory';
import type { HubOverview } from '../../src-shared/schemas/hubsante';
import type { AvailabilityProfile, EffectorRequest } from '../../src-shared/schemas/effectors';
import type { Line } from '../../src-shared/domain/codes';
import { IDLE_PHONE, SipPhone, type AudioDevices, type PhoneView } from '../features/softphone/sip-phone';
import type { LinesState } from '../../src-shared/contract/methods';
import { NO_LINES } from '../../src-shared/schemas/lines';
import { DEFAULT_WRAP_UP_SECONDS, nextAgentStatus, type AgentInput, type AgentStatus } from '../../src-shared/domain/agent-state';
import type { AgentPresence } from '../../src-shared/sync-protocol/messages';
import type { CenterCall } from '../../src-shared/schemas/call-log';

/** What fills the window under the header: the regulation work, the wall screen, or statistics. */
export type MainView = 'work' | 'wall' | 'stats' | 'agenda' | 'offer' | 'partners' | 'security' | 'hub';

export type Theme = 'light' | 'dark';

/** This workstation's audio settings (kept in the browser's storage: they belong to the desk). */
export interface AudioSettings extends AudioDevices {
  /** Answer incoming calls by itself after a short ring (ARMs on headsets). */
  autoAnswer: boolean;
}
const AUDIO_KEY = 'permanence.audio';
/** How long an auto-answered call rings first (the ARM hears it coming). */
export const AUTO_ANSWER_MS = 1_000;
function initialAudio(): AudioSettings {
  const none: AudioSettings = { microphoneId: null, speakerId: null, ringerId: null, autoAnswer: false };
  try {
    const raw = typeof localStorage === 'undefined' ? null : localStorage.getItem(AUDIO_KEY);
    return raw ? { ...none, ...(JSON.parse(raw) as Partial<AudioSettings>) } : none;
  } catch {
    return none;
  }
}

/** `?vue=mur` opens the wall screen (a TV in the room), `?vue=stats` the statistics. */
function initialView(): MainView {
  if (typeof location === 'undefined') return 'work';
  const v = new URLSearchParams(location.search).get('vue');
  return v === 'mur' ? 'wall' : v === 'stats' ? 'stats' : 'work';
}
type PdsaStatus = MethodOutput<'calendar.pdsaAt'>;
type SyncState = MethodOutput<'sync.status'>;
type LoginMode = MethodOutput<'session.mode'>;

export interface AppState {
  bridge: Bridge;
  connected: boolean;
  session: Session | null;
  sessionChecked: boolean;
  theme: Theme;
  helpOpen: boolean;
  queue: CaseSummary[];
  recent: CaseSummary[];
  searchResults: CaseSummary[] | null;
  current: RegulationCase | null;
  currentHistory: MethodOutput<'case.history'>;
  pdsa: PdsaStatus | null;
  sync: SyncState | null;
  loginMode: LoginMode | null;
  /** The center's duty directory (sectors, rota, pharmacies, MMGs). */
  directory: Directory | null;
  /** The center's Hub Santé link (null: not read yet, or no central server). */
  hub: HubOverview | null;
  loadHub(): Promise<void>;
  /** The middle column shows the duty directory instead of the case. */
  directoryOpen: boolean;
  /** The softphone, as the UI shows it. */
  phone: PhoneView;
  /** This agent's state (published to the central server). */
  agent: AgentStatus;
  /** The center's agents (what supervisors watch). */
  agents: AgentPresence[];
  /** The center's calls ringing or in progress (pushed by the central server). */
  calls: CenterCall[];
  /** The lines' queues and the callers to call back (pushed by the central server). */
  lines: LinesState;
  /** When `lines` was received (the waits it gives grow from then on). */
  linesAt: number;
  /** The caller this agent is calling back now (an entry of the callback list). */
  callingBack: { id: string; number: string; line: string; callId: string | null } | null;
  /** Call back a caller who hung up before being answered: the entry is taken, the number dialled. */
  callBack(id: string): Promise<void>;
  /** Effectors' availability and the requests to effectors (pushed by the central server). */
  effectors: { profiles: AvailabilityProfile[]; requests: EffectorRequest[] };
  mainView: MainView;
  audio: AudioSettings;
  setAudio(patch: Partial<AudioSettings>): void;
  /** Last error to show the user (French), with what failed. */
  error: AppError | null;
  notice: string | null;

  init(): Promise<void>;
  setMainView(view: MainView): void;
  login(displayName: string, role: Role, department: string): Promise<boolean>;
  serverLogin(login: string, password: string, tenant?: string, totp?: string): Promise<boolean>;
  /** Pro Santé Connect: PSC's page opens in `popup`; resolves when the doctor is back (or must choose a practice). */
  pscLogin(popup: Window | null): Promise<void>;
  /** The practice the doctor works under, when PSC gave several. */
  pscChoose(index: number): Promise<void>;
  pscChoice: { flowId: string; practices: string[] } | null;
  /** The center requires a second factor: its secret for the app, then a first code. */
  enrolSecondFactor(): Promise<{ secret: string; uri: string } | null>;
  confirmSecondFactor(code: string): Promise<boolean>;
  logout(): Promise<void>;
  /** Idle: the workstation locks (the core then answers nothing but the lock screen and the phone). */
  lock(): Promise<void>;
  /** The same user with his password, or another user (the first one is logged out). */
  unlock(login: string, password: string): Promise<boolean>;
  refreshLists(): Promise<void>;
  openNewCase(from?: { line: Line; callbackPhone?: string }): Promise<string | null>;
  /** Answer a ringing call (the first ringing by default); the call in progress goes on hold. */
  phoneAnswer(callId?: string): Promise<void>;
  phoneHangup(callId?: string): Promise<void>;
  /** Hold the call in front, resume the other line. */
  phoneSwap(): Promise<void>;
  /** Attended transfer: call a colleague while the caller waits on hold, then put them through. */
  phoneConsult(target: string): Promise<void>;
  phoneCompleteTransfer(): Promise<void>;
  /** Three-way conference: the caller, this user and the colleague. */
  phoneConference(): Promise<void>;
  phoneHold(held: boolean): Promise<void>;
  phoneMute(muted: boolean): void;
  phoneDtmf(tone: string): Promise<void>;
  phoneCall(number: string, caseId?: string): Promise<void>;
  phoneTransfer(target: string): Promise<void>;
  setAgent(input: AgentInput): void;
  selectCase(caseId: string): Promise<void>;
  closeCase(): void;
  saveFields(changes: MethodInput<'case.command'>['command'] & { type: 'update_fields' }): Promise<boolean>;
  command(command: MethodInput<'case.command'>['command']): Promise<boolean>;
  search(text: string): Promise<void>;
  clearSearch(): void;
  setTheme(theme: Theme): void;
  toggleTheme(): void;
  setHelpOpen(open: boolean): void;
  dismissError(): void;
  loadDirectory(): Promise<void>;
  setDirectoryOpen(open: boolean): void;
  importDirectory(kind: DirectoryKind, csv: string): Promise<{ ok: true; rows: number } | { ok: false; message: string; lines: { line: number; message: string }[] }>;
}

const THEME_KEY = 'permanence.theme';
const RECENT_LIMIT = 30;
/** Delay between answering and opening the call's case (see phoneAnswer). */
const CASE_AFTER_ANSWER_MS = 150;

function initialTheme(): Theme {
  const saved = globalThis.localStorage?.getItem(THEME_KEY);
  if (saved === 'light' || saved === 'dark') return saved;
  return globalThis.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function createAppStore(bridge: Bridge): StoreApi<AppState> {
  const store = createStore<AppState>()((set, get) => {
    async function call<M extends MethodName>(method: M, params: MethodInput<M>): Promise<MethodOutput<M> | undefined> {
      const r = await bridge.invoke(method, params);
      if (!r.ok) {
        set({ error: r.error });
        return undefined;
      }
      return r.value;
    }
    /** A command on the open case: the answer is the new case; only its history needs fetching. */
    async function runCommand(command: MethodInput<'case.command'>['command'], notice: string | null): Promise<boolean> {
      const current = get().current;
      if (!current) return false;
      const c = await call('case.command', { caseId: current.id, command });
      if (!c) return false;
      set({ current: c, error: null, notice });
      const history = await call('case.history', { caseId: c.id });
      if (history && get().current?.id === c.id) set({ currentHistory: history });
      return true;
    }
    // The softphone: answering a call opens a case pre-filled with the caller's number and line.
    // Busy while a call is up and during its wrap-up; available again after it.
    let wrapUp: ReturnType<typeof setTimeout> | undefined;
    let autoAnswer: ReturnType<typeof setTimeout> | undefined;
    const onPhone = (view: PhoneView) => {
      const before = get().phone.call;
      set({ phone: view });
      const call = view.call;
      // Switching lines brings the case of the call now in front.
      if (call && before && call.callId !== before.callId && call.state !== 'ended' && call.caseId && get().current?.id !== call.caseId) void loadCase(call.caseId);
      if (call?.state === 'ringing' && before?.callId !== call.callId && get().audio.autoAnswer) {
        clearTimeout(autoAnswer);
        autoAnswer = setTimeout(() => {
          if (get().phone.call?.callId === call.callId && get().phone.call?.state === 'ringing') void get().phoneAnswer();
        }, AUTO_ANSWER_MS);
      }
      const back = get().callingBack;
      if (back && call?.callId === back.callId && call.state === 'active' && before?.state !== 'active' && !call.caseId) {
        // The patient called back answers: the case opens with the number and the line they had called.
        void get()
          .openNewCase({ line: back.line === '116117' || back.line === '15' ? back.line : 'other', callbackPhone: back.number })
          .then((caseId) => caseId && phone.attachCase(call.callId, caseId));
      }
      const up = (c: PhoneView['call']) => c !== null && (c.state === 'active' || c.state === 'calling');
      if (up(call) && !up(before)) {
        clearTimeout(wrapUp);
        get().setAgent({ type: 'call_started' });
      }
      if (call?.state === 'ended' && before?.state !== 'ended' && before?.answeredAt) {
        get().setAgent({ type: 'call_ended' });
        clearTimeout(wrapUp);
        wrapUp = setTimeout(() => get().setAgent({ type: 'wrap_up_over' }), DEFAULT_WRAP_UP_SECONDS * 1000);
      }
    };
    const phone = new SipPhone(onPhone, {
      // Every call, answered or not, goes to the center's call log (through the core's outbox).
      onReport: (report) => {
        void bridge.invoke('call.report', report).then((r) => {
          if (!r.ok) set({ error: { code: r.error.code, message: `Appel non tracé : ${r.error.message}` } });
        });
      },

      // The call's trace goes into its case when it ends (answered calls and calls back).
      onEnded: (ended) => {
        const back = get().callingBack;
        if (back && ended.callId === back.callId) {
          set({ callingBack: null });
          const result = { callId: ended.callId, reached: ended.answeredAt !== null, caseId: ended.caseId };
          void bridge.invoke('callbacks.finish', { id: back.id, result }).then((r) => {
            if (!r.ok) set({ error: { code: r.error.code, message: `Rappel non enregistré : ${r.error.message}` } });
            else if (!result.reached) set({ notice: `${back.number} n’a pas répondu : le rappel reste dans la liste.` });
          });
        }
        if (!ended.caseId) return;
        const record = {
          callId: ended.callId,
          direction: ended.direction,
          line: ended.line,
          remote: ended.remote.slice(0, 100),
          arrivedAt: ended.arrivedAt,
          answeredAt: ended.answeredAt,
          endedAt: ended.endedAt ?? Date.now(),
          holds: ended.holds.map((h) => ({ from: h.from, to: h.to ?? ended.endedAt ?? Date.now() })),
          ...(ended.transferredTo ? { transferredTo: ended.transferredTo.slice(0, 100) } : {}),
        };
        void bridge.invoke('case.command', { caseId: ended.caseId, command: { type: 'record_call', call: record } }).then((r) => {
          if (!r.ok) set({ error: { code: r.error.code, message: `Appel non enregistré dans le dossier : ${r.error.message}` } });
          else if (get().current?.id === ended.caseId) void loadCase(ended.caseId);
        });
      },
    });
    const phoneOn = typeof window !== 'undefined' && typeof RTCPeerConnection !== 'undefined';
    if (phoneOn) (window as unknown as { permanencePhone?: SipPhone }).permanencePhone = phone;
    async function startPhone() {
      if (!phoneOn || phone.state.registration !== 'unconfigured') return;
      await phone.setDevices(get().audio);
      const r = await bridge.invoke('phone.account', {});
      if (!r.ok) set({ phone: { ...phone.state, registration: 'rejected', problem: r.error.message } });
      else if (r.value) await phone.start(r.value);
    }
    function startAgent() {
      // An admin and a partner organisation's user take no calls and see no case: no agent state.
      const session = get().session;
      if (!session || session.organisation || session.actor.role === 'admin') return;
      get().setAgent({ type: 'choose', state: 'available' });
      void call('agent.list', {}).then((agents) => agents && set({ agents }));
      void bridge.invoke('calls.live', {}).then((r) => r.ok && set({ calls: r.value }));
      void bridge.invoke('lines.state', {}).then((r) => r.ok && set({ lines: r.value, linesAt: Date.now() }));
      void bridge.invoke('effectors.state', {}).then((r) => r.ok && set({ effectors: r.value }));
    }
    /** Lists updated by the changed cases alone (marks let the queue's render time be measured). */
    function applyChanged(changed: CaseSummary[]) {
      if (changed.length === 0) return;
      performance.mark('queue-event');
      const { queue, recent } = get();
      set({ queue: patchQueue(queue, changed), recent: patchRecent(recent, changed, RECENT_LIMIT) });
    }
    /**
     * A session the server opened (a login, an unlock, Pro Santé Connect): the same start every time;
     * when it is another user than the one before, the first one's telephone and lists go. `before`
     * is the session as it was before the core was called: the core's own 'session.changed' event
     * may already have replaced it in the store.
     */
    async function afterLogin(session: MethodOutput<'session.current'> & object, before: MethodOutput<'session.current'>) {
      if (before && before.actor.userId !== session.actor.userId) {
        clearTimeout(wrapUp);
        await phone.stop();
        set({ current: null, currentHistory: [], queue: [], recent: [], directory: null, hub: null, directoryOpen: false });
      }
      set({ session, error: null, sync: (await call('sync.status', {})) ?? null });
      if (before && before.actor.userId === session.actor.userId) return;
      await get().refreshLists();
      void startPhone();
      startAgent();
    }
    async function loadCase(caseId: string) {
      const [c, history] = await Promise.all([call('case.get', { caseId }), call('case.history', { caseId })]);
      if (c && history) set({ current: c, currentHistory: history });
    }
    return {
      bridge,
      connected: bridge.kind !== 'web',
      session: null,
      sessionChecked: false,
      theme: initialTheme(),
      helpOpen: false,
      queue: [],
      recent: [],
      searchResults: null,
      current: null,
      currentHistory: [],
      pdsa: null,
      sync: null,
      loginMode: null,
      error: null,
      notice: null,
      directory: null,
      hub: null,
      directoryOpen: false,
      phone: IDLE_PHONE,
      agent: { state: 'offline', reason: null, since: Date.now() },
      agents: [],
      calls: [],
      lines: { status: NO_LINES, callbacks: [] },
      callingBack: null,
      linesAt: 0,
      effectors: { profiles: [], requests: [] },
      mainView: initialView(),
      audio: initialAudio(),

      setAudio(patch) {
        const audio = { ...get().audio, ...patch };
        set({ audio });
        try {
          localStorage.setItem(AUDIO_KEY, JSON.stringify(audio));
        } catch {
          // private mode: the setting lasts for the session
        }
        void phone.setDevices(audio);
      },

      setMainView(mainView) {
        set({ mainView });
      },

      async init() {
        bridge.on('case.changed', ({ summary }) => {
          applyChanged([summary]);
          const current = get().current;
          if (current && current.id === summary.id) void loadCase(current.id);
        });
        bridge.on('session.changed', ({ session }) => set({ session }));
        bridge.on('directory.changed', () => void get().loadDirectory());
        // The PDSA banner follows the center's rules as soon as they change.
        bridge.on('pdsa.changed', () => {
          const session = get().session;
          if (session) void call('calendar.pdsaAt', { department: session.department }).then((pdsa) => pdsa && set({ pdsa }));
        });
        bridge.on('hub.changed', () => void get().loadHub());
        bridge.on('agents.changed', ({ agents }) => {
          set({ agents });
          // The call distributor set this agent "Absent" (an offered call rang out): shown here too.
          const me = agents.find((a) => a.userId === get().session?.actor.userId);
          const mine = get().agent;
          if (me && me.reason === 'unanswered' && me.state === 'pause' && mine.reason !== 'unanswered' && me.since >= mine.since) set({ agent: { state: 'pause', reason: 'unanswered', since: me.since } });
        });
        bridge.on('calls.changed', ({ calls }) => set({ calls }));
        bridge.on('lines.changed', (lines) => set({ lines, linesAt: Date.now() }));
        bridge.on('effectors.changed', (effectors) => set({ effectors }));
        bridge.on('sync.state', (sync) => set({ sync }));
        bridge.on('cases.synced', ({ caseIds, more }) => {
          // A few cases: update the lists in place; a snapshot page or more: read them again.
          if (more) void get().refreshLists();
          else void call('case.summaries', { ids: caseIds }).then((s) => (s ? applyChanged(s) : undefined));
          const current = get().current;
          if (current && (more || caseIds.includes(current.id))) void loadCase(current.id);
        });
        bridge.on('case.rejected', ({ reference, message, caseId }) => {
          set({ error: { code: 'conflict', message: `Modification refusée par le serveur${reference ? ` (dossier ${reference})` : ''} : ${message}` } });
          const current = get().current;
          if (current && current.id === caseId) void loadCase(caseId);
        });
        const [session, loginMode, sync] = await Promise.all([call('session.current', {}), call('session.mode', {}), call('sync.status', {})]);
        set({ session: session ?? null, sessionChecked: true, loginMode: loginMode ?? null, sync: sync ?? null });
        if (session) {
          await get().refreshLists();
          void startPhone();
          startAgent();
        }
      },
      async login(displayName, role, department) {
        const session = await call('session.login', { displayName, role, department });
        if (!session) return false;
        set({ session, error: null });
        await get().refreshLists();
        void startPhone();
        startAgent();
        return true;
      },
      async serverLogin(login, password, tenant, totp) {
        const before = get().session;
        const session = await call('session.login', { login, password, ...(tenant ? { tenant } : {}), ...(totp ? { totp } : {}) });
        if (!session) return false;
        if (session.mustEnrolSecondFactor) {
          set({ session, error: null });
          return true;
        }
        await afterLogin(session, before);
        return true;
      },
      async logout() {
        clearTimeout(wrapUp);
        get().setAgent({ type: 'choose', state: 'offline' });
        await phone.stop();
        await call('session.logout', {});
        set({ session: null, current: null, currentHistory: [], queue: [], recent: [], directory: null, hub: null, directoryOpen: false });
      },
      pscChoice: null,
      async pscLogin(popup) {
        const before = get().session;
        const started = await call('session.pscStart', {});
        if (!started) {
          popup?.close();
          return;
        }
        if (popup) popup.location.href = started.authorizationUrl;
        else window.open(started.authorizationUrl, 'psc');
        const r = await call('session.pscFinish', { flowId: started.flowId });
        if (!r) return;
        if (r.status === 'choose') set({ pscChoice: { flowId: started.flowId, practices: r.practices } });
        else await afterLogin(r.session, before);
      },
      async pscChoose(index) {
        const choice = get().pscChoice;
        if (!choice) return;
        const before = get().session;
        const r = await call('session.pscFinish', { flowId: choice.flowId, practice: index });
        set({ pscChoice: null });
        if (r?.status === 'done') await afterLogin(r.session, before);
      },
      async enrolSecondFactor() {
        return (await call('secondFactor.enrol', {})) ?? null;
      },
      async confirmSecondFactor(code) {
        const session = await call('secondFactor.confirm', { code });
        if (!session) return false;
        set({ session, error: null, sync: (await call('sync.status', {})) ?? null });
        await get().refreshLists();
        void startPhone();
        startAgent();
        return true;
      },
      async lock() {
        await bridge.invoke('session.lock', {});
      },
      async unlock(login, password) {
        const before = get().session;
        const session = await call('session.unlock', { login, password });
        if (!session) return false;
        await afterLogin(session, before);
        return true;
      },
      async refreshLists() {
        const session = get().session;
        const [queue, recent, pdsa] = await Promise.all([
          call('queue.list', { limit: 5000 }),
          call('case.recent', { limit: RECENT_LIMIT }),
          session ? call('calendar.pdsaAt', { department: session.department }) : Promise.resolve(null),
        ]);
        set({ queue: queue ?? [], recent: recent ?? [], pdsa: pdsa ?? null });
        if (!get().directory) await get().loadDirectory();
        if (!get().hub) await get().loadHub();
      },
      async openNewCase(from) {
        const line = from?.line ?? '116117';
        // The caller's number when it is one; a SIP user name is not a callback number.
        const phoneNumber = from?.callbackPhone && /^\+?[\d .()-]{6,}$/.test(from.callbackPhone) ? from.callbackPhone : undefined;
        let c = await call('case.open', { line, ...(phoneNumber ? { fields: { callbackPhone: phoneNumber } } : {}) });
        if (!c && phoneNumber) c = await call('case.open', { line });
        if (!c) return null;
        set({ current: c, currentHistory: [], error: null, notice: `Dossier ${c.reference} ouvert.` });
        void bridge.invoke('audit.recordRead', { caseId: c.id, action: 'case.open' });
        await loadCase(c.id);
        return c.id;
      },
      async selectCase(caseId) {
        set({ error: null });
        // Opening a case on screen is a read of the patient's data: traced (sent later when offline).
        void bridge.invoke('audit.recordRead', { caseId, action: 'case.open' });
        await loadCase(caseId);
      },
      closeCase() {
        set({ current: null, currentHistory: [] });
      },
      saveFields(command) {
        return runCommand(command, 'Dossier enregistré.');
      },
      command(command) {
        return runCommand(command, null);
      },
      async search(text) {
        const q = text.trim();
        if (q === '') return get().clearSearch();
        const isPhone = /^[+\d][\d .()-]*$/.test(q) && q.replace(/\D/g, '').length >= 4;
        const results = await call('case.search', isPhone ? { phone: q, limit: 50 } : { name: q, limit: 50 });
        set({ searchResults: results ?? [] });
      },
      clearSearch() {
        set({ searchResults: null });
      },
      setTheme(theme) {
        globalThis.localStorage?.setItem(THEME_KEY, theme);
        set({ theme });
      },
      toggleTheme() {
        get().setTheme(get().theme === 'dark' ? 'light' : 'dark');
      },
      setHelpOpen(helpOpen) {
        set({ helpOpen });
      },
      dismissError() {
        set({ error: null });
      },
      phoneAnswer: (callId) => {
        const ringing = [phone.state.call, ...phone.state.others].find((c) => c?.state === 'ringing' && (!callId || c.callId === callId));
        if (!ringing) return Promise.resolve();
        // The case opens pre-filled with the caller's number and the line (the call's record goes
        // there), once the audio had time to start: rendering the form on this thread while WebRTC
        // sets the call up delayed the first audio by ~45 ms (measured: npm run bench -- --only sip).
        setTimeout(() => {
          // A call the SAMU transferred names the case it sent over the Hub: that case opens.
          const hub = ringing.hubCaseId ? bridge.invoke('case.byHubCase', { hubCaseId: ringing.hubCaseId }) : Promise.resolve(null);
          void hub.then(async (found) => {
            const known = found?.ok ? found.value.caseId : null;
            if (known) {
              await get().selectCase(known);
              phone.attachCase(ringing.callId, known);
              return;
            }
            const caseId = await get().openNewCase({ line: ringing.line, callbackPhone: ringing.remote });
            if (caseId) phone.attachCase(ringing.callId, caseId);
          });
        }, CASE_AFTER_ANSWER_MS);
        return phone.answer(ringing.callId).catch((e: Error) => set({ error: { code: 'unavailable', message: `Décroché impossible : ${e.message}` } }));
      },
      phoneHangup: (callId) => phone.hangup(callId).catch(() => {}),
      phoneSwap: () => phone.swap().catch((e: Error) => set({ error: { code: 'unavailable', message: `Bascule impossible : ${e.message}` } })),
      phoneConsult: (target) => phone.consult(target, get().current?.hub?.caseId ?? null).catch((e: Error) => set({ error: { code: 'unavailable', message: `Appel de consultation impossible : ${e.message}` } })),
      phoneCompleteTransfer: () => phone.completeTransfer().catch((e: Error) => set({ error: { code: 'unavailable', message: `Transfert impossible : ${e.message}` } })),
      phoneConference: () => phone.startConference().catch((e: Error) => set({ error: { code: 'unavailable', message: `Conférence impossible : ${e.message}` } })),
      phoneHold: (held) => phone.setHeld(held).catch((e: Error) => set({ error: { code: 'unavailable', message: `Mise en attente impossible : ${e.message}` } })),
      phoneMute: (muted) => phone.setMuted(muted),
      phoneDtmf: (tone) => phone.dtmf(tone).catch(() => {}),
      setAgent(input) {
        const current = get().agent;
        const next = nextAgentStatus(current, input, Date.now());
        if (next === current) return;
        set({ agent: next });
        void bridge.invoke('agent.setState', { state: next.state, reason: next.reason });
      },
      phoneTransfer: (target) => phone.transfer(target, get().current?.hub?.caseId ?? null).catch((e: Error) => set({ error: { code: 'unavailable', message: `Transfert impossible : ${e.message}` } })),
      async callBack(id) {
        if (get().callingBack) return;
        const r = await bridge.invoke('callbacks.claim', { id });
        if (!r.ok) {
          set({ error: { code: r.error.code, message: r.error.message } });
          return;
        }
        const entry = get().lines.callbacks.find((c) => c.id === id);
        const back = { id, number: r.value.number, line: entry?.line ?? 'other', callId: null as string | null };
        set({ callingBack: back });
        try {
          back.callId = await phone.call(r.value.number, null, r.value.callerId);
        } catch (e) {
          back.callId = null;
          set({ error: { code: 'unavailable', message: `Appel impossible : ${(e as Error).message}` } });
        }
        if (back.callId === null) {
          // Nothing dialled: the entry goes back on everyone's list.
          set({ callingBack: null });
          void bridge.invoke('callbacks.finish', { id, result: { callId: null, reached: false, caseId: null } });
        } else set({ callingBack: { ...back } });
      },
      phoneCall: (number, caseId) =>
        phone.call(number, caseId ?? null).then(
          () => {},
          (e: Error) => set({ error: { code: 'unavailable', message: `Appel impossible : ${e.message}` } }),
        ),
      async loadHub() {
        // Quietly: a standalone workstation or a center without a Hub link has nothing to show.
        const session = get().session;
        const r = session?.mode === 'server' && !session.organisation ? await bridge.invoke('hub.status', {}) : null;
        set({ hub: r?.ok ? r.value : null });
      },
      async loadDirectory() {
        const directory = await call('directory.duty', {});
        if (directory) set({ directory });
      },
      setDirectoryOpen(directoryOpen) {
        set({ directoryOpen });
      },
      async importDirectory(kind, csv) {
        const r = await bridge.invoke('directory.import', { kind, csv });
        if (r.ok) {
          await get().loadDirectory();
          return { ok: true, rows: r.value.rows };
        }
        const lines = (r.error.details as { lines?: { line: number; message: string }[] } | undefined)?.lines ?? [];
        return { ok: false, message: r.error.message, lines };
      },
    };
  });
  return store;
}
