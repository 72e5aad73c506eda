import { HubIndicator, HubPanel } from '../features/hubsante/HubPanel';
import { AgendaPanel } from '../features/agenda/AgendaPanel';
import { OfferPanel } from '../features/agenda/OfferPanel';
import { PartnersAdmin } from '../features/directory/PartnersAdmin';
import { SecurityAdmin } from '../features/directory/SecurityAdmin';
import { useContext, useEffect, useRef, useState } from 'react';
import { AppStoreContext, useApp } from './context';
import { QueuePanel } from '../features/queue/QueuePanel';
import { CasePanel, type CasePanelHandle } from '../features/case/CasePanel';
import { SoftphonePanel } from '../features/softphone/SoftphonePanel';
import { ShortcutBar, ShortcutHelp } from '../features/shortcuts/ShortcutBar';
import { SHORTCUTS, type Shortcut } from '../features/shortcuts/shortcuts';
import { ROLE_LABELS, ROLE_SHORT_LABELS } from '../ui/labels';
import { useNow } from '../ui/use-now';
import { SyncIndicator } from '../features/sync/SyncIndicator';
import { DirectoryPanel } from '../features/directory/DirectoryPanel';
import { WallScreen } from '../features/wall/WallScreen';
import { StatsPanel } from '../features/stats/StatsPanel';
import { PanelBoundary } from '../ui/PanelBoundary';

function Header() {
  const session = useApp((s) => s.session)!;
  const pdsa = useApp((s) => s.pdsa);
  const theme = useApp((s) => s.theme);
  const toggleTheme = useApp((s) => s.toggleTheme);
  const logout = useApp((s) => s.logout);
  const connected = useApp((s) => s.connected);
  const setHelpOpen = useApp((s) => s.setHelpOpen);
  const directoryOpen = useApp((s) => s.directoryOpen);
  const setDirectoryOpen = useApp((s) => s.setDirectoryOpen);
  const mainView = useApp((s) => s.mainView);
  const setMainView = useApp((s) => s.setMainView);
  const now = useNow(10_000);
  // A partner organisation's user (SAS, CPTS, tele-secretariat): the agenda, nothing of the center.
  const partner = session.organisation !== null;
  return (
    <header className="app-header">
      <strong className="brand">Permanence</strong>
      <span className="pill">Département {session.department}</span>
      <span className={`pill ${pdsa?.inPdsa ? 'pill-pdsa' : ''}`} title="Permanence des soins ambulatoires">
        {pdsa ? (pdsa.inPdsa ? `PDSA : ${pdsa.period?.label}` : 'Hors PDSA (jour ouvré)') : 'PDSA : …'}
      </span>
      <SyncIndicator />
      {!connected ? (
        <span className="pill pill-alert" role="alert">
          Cœur local injoignable — reconnexion…
        </span>
      ) : null}
      <span className="spacer" />
      <HubIndicator />
      <span className="clock mono">{new Date(now).toLocaleTimeString('fr-FR', { hour: '2-digit', minute: '2-digit' })}</span>
      {partner ? <span className="pill">Organisation partenaire : {session.organisation}</span> : null}
      {!partner && (session.actor.role === 'supervisor' || session.actor.role === 'admin') ? (
        <>
          <button type="button" aria-pressed={mainView === 'wall'} onClick={() => setMainView(mainView === 'wall' ? 'work' : 'wall')} title="Mur de supervision (salle, TV : ?vue=mur)">
            Mur
          </button>
          <button type="button" aria-pressed={mainView === 'stats'} onClick={() => setMainView(mainView === 'stats' ? 'work' : 'stats')}>
            Statistiques
          </button>
          <button type="button" aria-pressed={mainView === 'offer'} onClick={() => setMainView(mainView === 'offer' ? 'work' : 'offer')}>
            Offre de soins
          </button>
        </>
      ) : null}
      {!partner && session.actor.role === 'admin' ? (
        <button type="button" aria-pressed={mainView === 'partners'} onClick={() => setMainView(mainView === 'partners' ? 'work' : 'partners')}>
          Effecteurs et partenaires
        </button>
      ) : null}
      {!partner && session.actor.role === 'admin' ? (
        <button type="button" aria-pressed={mainView === 'security'} onClick={() => setMainView(mainView === 'security' ? 'work' : 'security')}>
          Comptes et sécurité
        </button>
      ) : null}
      {!partner && session.actor.role !== 'admin' ? (
        <button type="button" aria-pressed={mainView === 'agenda'} onClick={() => setMainView(mainView === 'agenda' ? 'work' : 'agenda')}>
          Agenda partagé
        </button>
      ) : null}
      {!partner && session.actor.role !== 'admin' ? (
        <button type="button" aria-pressed={directoryOpen} onClick={() => setDirectoryOpen(!directoryOpen)}>
          Annuaire de garde
        </button>
      ) : null}
      <UserMenu
        name={session.actor.displayName}
        role={session.actor.role}
        items={[
          { label: 'Raccourcis clavier', keys: 'F1', run: () => setHelpOpen(true) },
          { label: theme === 'dark' ? 'Thème clair' : 'Thème sombre', keys: 'Alt+T', run: toggleTheme },
          { label: 'Se déconnecter', run: () => void logout() },
        ]}
      />
    </header>
  );
}

/**
 * Who is logged in, with what one does rarely (shortcuts, theme, log out) behind it: the header
 * keeps one line on a supervisor's screen. Opens on click or Enter, closes on Escape, on a choice
 * or on a click elsewhere; arrows move between its items.
 */
function UserMenu({ name, role, items }: { name: string; role: keyof typeof ROLE_LABELS; items: { label: string; keys?: string; run: () => void }[] }) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!open) return;
    const outside = (e: PointerEvent) => {
      if (!box.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('pointerdown', outside);
    box.current?.querySelector<HTMLButtonElement>('[role="menuitem"]')?.focus();
    return () => document.removeEventListener('pointerdown', outside);
  }, [open]);
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (!open) return;
    if (e.key === 'Escape') {
      e.stopPropagation();
      setOpen(false);
      toggle.current?.focus();
    } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      const all = [...(box.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]') ?? [])];
      const i = all.indexOf(document.activeElement as HTMLButtonElement);
      all[(i + (e.key === 'ArrowDown' ? 1 : all.length - 1)) % all.length]?.focus();
    }
  };
  return (
    <div className="user-menu" ref={box} onKeyDown={onKeyDown}>
      <button type="button" ref={toggle} aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)} title={`${name} — ${ROLE_LABELS[role]}`}>
        {name} ▾
      </button>
      {open ? (
        <div role="menu" aria-label={`Menu de ${name}`}>
          <p className="muted">
            {name} — {ROLE_SHORT_LABELS[role]}
          </p>
          {items.map((item) => (
            <button
              key={item.label}
              type="button"
              role="menuitem"
              onClick={() => {
                setOpen(false);
                item.run();
              }}
            >
              <span>{item.label}</span>
              {item.keys ? <kbd>{item.keys}</kbd> : null}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}

/** A field that keeps Escape for itself: text inputs, text areas, selects, editable content. */
function isEditable(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement ||
    (target instanceof HTMLElement && target.isContentEditable)
  );
}

export function Workspace() {
  const openNewCase = useApp((s) => s.openNewCase);
  const toggleTheme = useApp((s) => s.toggleTheme);
  const setHelpOpen = useApp((s) => s.setHelpOpen);
  const helpOpen = useApp((s) => s.helpOpen);
  const closeCase = useApp((s) => s.closeCase);
  const error = useApp((s) => s.error);
  const dismissError = useApp((s) => s.dismissError);
  const role = useApp((s) => s.session?.actor.role);
  const partner = useApp((s) => (s.session?.organisation ?? null) !== null);
  const directoryOpen = useApp((s) => s.directoryOpen);
  const setDirectoryOpen = useApp((s) => s.setDirectoryOpen);
  const mainView = useApp((s) => s.mainView);
  // Opening another case draws its panel again, even after an error in the previous one (the
  // panel itself stays mounted: it keeps the previous case's typing as a draft when switching).
  const caseKey = useApp((s) => s.current?.id);
  const store = useContext(AppStoreContext)!;
  const searchRef = useRef<HTMLInputElement>(null);
  const caseRef = useRef<CasePanelHandle>(null);

  useEffect(() => {
    const actions: Record<Shortcut['id'], () => void> = {
      newCase: () => (role === 'arm' || role === 'physician' ? void openNewCase() : undefined),
      // The first waiting case (Entrée opens it, arrows move), or the heading when the queue is empty.
      focusQueue: () => (document.querySelector<HTMLButtonElement>('.queue-scroller .case-row') ?? document.getElementById('queue-title'))?.focus(),
      search: () => searchRef.current?.focus(),
      save: () => caseRef.current?.save(),
      sendToRegulation: () => caseRef.current?.sendToRegulation(),
      take: () => caseRef.current?.take(),
      answer: () => void store.getState().phoneAnswer(),
      hangup: () => void store.getState().phoneHangup(),
      hold: () => {
        const c = store.getState().phone.call;
        if (c?.state === 'active') void store.getState().phoneHold(!c.held);
      },
      mute: () => {
        const c = store.getState().phone.call;
        if (c?.state === 'active') store.getState().phoneMute(!c.muted);
      },
      toggleTheme,
      help: () => setHelpOpen(true),
      // A dialog or list first; then the case, keeping what was typed in it (committed or kept as a draft).
      escape: () => (helpOpen ? setHelpOpen(false) : directoryOpen ? setDirectoryOpen(false) : caseRef.current ? void caseRef.current.close() : closeCase()),
    };
    const onKey = (e: KeyboardEvent) => {
      const shortcut = SHORTCUTS.find((s) => s.match(e));
      if (!shortcut) return;
      // Escape inside a field belongs to the field (clear a search, close a list): a note half
      // typed, a select during screening never close the case.
      if (shortcut.id === 'escape' && isEditable(e.target)) return;
      e.preventDefault();
      actions[shortcut.id]();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [openNewCase, toggleTheme, setHelpOpen, helpOpen, closeCase, role, directoryOpen, setDirectoryOpen, store]);

  return (
    <div className="workspace">
      <Header />
      {error ? (
        <div className="error-banner" role="alert">
          <span>{error.message}</span>
          <button type="button" onClick={dismissError}>
            Fermer
          </button>
        </div>
      ) : null}
      {partner ? (
        <div className="columns columns-partner">
          <PanelBoundary name="Agenda partagé">
            <AgendaPanel />
          </PanelBoundary>
        </div>
      ) : mainView === 'wall' ? (
        <PanelBoundary name="Mur">
          <WallScreen fullscreen={false} />
        </PanelBoundary>
      ) : mainView === 'stats' ? (
        <PanelBoundary name="Statistiques">
          <StatsPanel />
        </PanelBoundary>
      ) : mainView === 'offer' ? (
        <PanelBoundary name="Offre de soins">
          <OfferPanel />
        </PanelBoundary>
      ) : mainView === 'partners' ? (
        <PanelBoundary name="Partenaires">
          <PartnersAdmin />
        </PanelBoundary>
      ) : mainView === 'security' ? (
        <PanelBoundary name="Comptes et sécurité">
          <SecurityAdmin />
        </PanelBoundary>
      ) : (
        <div className={role === 'admin' ? 'columns columns-admin' : 'columns'}>
          {role === 'admin' ? null : (
            <PanelBoundary name="File de régulation">
              <QueuePanel searchRef={searchRef} />
            </PanelBoundary>
          )}
          {mainView === 'hub' ? (
            <PanelBoundary name="Hub Santé">
              <HubPanel />
            </PanelBoundary>
          ) : mainView === 'agenda' ? (
            <PanelBoundary name="Agenda partagé">
              <AgendaPanel />
            </PanelBoundary>
          ) : role === 'admin' || directoryOpen ? (
            <PanelBoundary name="Annuaire de garde">
              <DirectoryPanel />
            </PanelBoundary>
          ) : (
            <PanelBoundary name="Dossier" resetKey={caseKey}>
              <CasePanel ref={caseRef} />
            </PanelBoundary>
          )}
          <PanelBoundary name="Téléphonie">
            <SoftphonePanel />
          </PanelBoundary>
        </div>
      )}
      <ShortcutBar />
      <ShortcutHelp />
    </div>
  );
}
