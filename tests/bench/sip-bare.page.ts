/// <reference lib="dom" />
/**
 * The baseline of the softphone benchmark: a bare sip.js page (no React, no app), registered as
 * a second agent, that shows an incoming call as one DOM element and answers it. Bundled with
 * esbuild for the browser by sip.bench.ts.
 */
import { Invitation, Registerer, SessionState, UserAgent, type Web } from 'sip.js';

const q = new URLSearchParams(location.search);
const user = q.get('user')!;
let current: Invitation | null = null;
const ua = new UserAgent({
  uri: UserAgent.makeURI(`sip:${user}@127.0.0.1`)!,
  transportOptions: { server: q.get('ws')! },
  authorizationUsername: user,
  authorizationPassword: q.get('password')!,
  logLevel: 'error',
  sessionDescriptionHandlerFactoryOptions: { peerConnectionConfiguration: { iceServers: [] }, iceGatheringTimeout: 500 },
  delegate: {
    onInvite(invitation) {
      performance.mark('sip-invite-received');
      current = invitation;
      invitation.stateChange.addListener((s) => {
        if (s === SessionState.Terminated && current === invitation) current = null;
      });
      const el = document.createElement('p');
      el.className = 'incoming';
      el.textContent = `Appel de ${invitation.remoteIdentity.uri.user}`;
      document.body.replaceChildren(el);
      performance.measure('incoming-shown', 'sip-invite-received');
    },
  },
});

const bare = {
  ready: false,
  busy: () => current !== null,
  answer: () => current?.accept({ sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } } }),
  async received(): Promise<number> {
    const pc = (current?.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined)?.peerConnection;
    let n = 0;
    if (pc) (await pc.getStats()).forEach((r: { type: string; kind?: string; packetsReceived?: number }) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') n += r.packetsReceived ?? 0;
    });
    return n;
  },
};
(window as unknown as { bare: typeof bare }).bare = bare;
await ua.start();
await new Registerer(ua).register({ requestDelegate: { onAccept: () => (bare.ready = true) } });
