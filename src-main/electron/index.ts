/**
 * The Electron main process: thin. It reads the installation's configuration, starts the same
 * workstation core as the web host (its cache key kept by the operating system through
 * safeStorage), serves the renderer from app://permanence, and connects the two with the IPC
 * adapter. Packaging (native module rebuilt for Electron, fuses, installers): see packaging/.
 */
import { app, BrowserWindow, dialog, ipcMain, safeStorage, shell } from 'electron';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { WorkstationCore } from '../core/workstation-core.js';
import { exitOnUnhandledErrors } from '../../src-node-shared/crash-handlers.js';
import { openSupportLog } from '../../src-node-shared/support-log.js';
import { coreOptionsFrom, loadInstallation } from '../core/config/load-installation.js';
import { externalLinkAllowed } from '../core/config/external-links.js';
import type { KeySealer } from '../core/store/cache-key.js';
import { forwardEvents, isTrustedSenderUrl, registerIpc } from './ipc.js';
import { startUpdates } from './updates.js';
import { APP_ORIGIN, electronCsp, hardenSession, hardenWindow, registerAppScheme, serveRendererFrom } from './security.js';

registerAppScheme();
// The UI speaks French whatever the operating system's language: Chromium's own controls (date
// and time fields, their pickers) follow this locale, so a date reads 26/11/2026 and a time 08:30,
// never 11/26/2026 08:30 AM on a workstation installed in English. Must be set before 'ready'.
app.commandLine.appendSwitch('lang', 'fr-FR');

// One instance per account: a second one quits before it opens anything (the cache above all),
// and the first one comes to the front.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  start();
}

/** The cache key sealed by the operating system (DPAPI, Keychain, Secret Service). */
const SAFE_STORAGE: KeySealer = {
  name: 'safe-storage',
  seal: (key) => safeStorage.encryptString(key.toString('base64')),
  unseal: (sealed) => Buffer.from(safeStorage.decryptString(sealed), 'base64'),
};

function start(): void {
  // A development server is trusted only in development: a packaged app ignores the variable.
  const devServerUrl = app.isPackaged ? undefined : process.env.ELECTRON_RENDERER_URL;
  let window: BrowserWindow | null = null;
  let core: WorkstationCore | null = null;
  let log: Logger | null = null;

  const fail = (title: string, error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    log?.fatal({ err: { name: (error as Error)?.name, message } }, title);
    dialog.showErrorBox(`Permanence — ${title}`, `${message}\n\nL’application va se fermer. Si le problème persiste, contactez le support informatique du centre.`);
    app.exit(1);
  };
  exitOnUnhandledErrors((message, error) => {
    log?.fatal({ err: { message: (error as Error)?.message } }, message);
    console.error(`[main] ${message}:`, error);
  });

  app.on('second-instance', () => {
    if (!window) return;
    if (window.isMinimized()) window.restore();
    window.focus();
  });

  app.whenReady().then(async () => {
    try {
      const userData = app.getPath('userData');
      const installation = loadInstallation({ defaults: { dataDir: join(userData, 'workstation'), logDir: join(userData, 'logs') } });
      log = await openSupportLog(installation.logDir, 'permanence');
      log.info({ version: app.getVersion(), mode: installation.mode, tenant: installation.tenant, sources: installation.sources }, 'démarrage');
      if (!safeStorage.isEncryptionAvailable()) throw new Error('Le coffre de clés du système n’est pas disponible pour ce compte : le cache local ne peut pas être chiffré.');
      if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') {
        log.warn('aucun trousseau de clés (Secret Service) sur ce poste : la clé du cache est protégée par les droits du fichier seulement');
      }
      const opened = WorkstationCore.open({
        ...coreOptionsFrom(installation),
        keySealer: SAFE_STORAGE,
        registry: { onInternalError: (m, e) => log?.error({ err: { message: (e as Error)?.message } }, m) },
      });
      core = opened;
      hardenSession();
      serveRendererFrom(join(import.meta.dirname, '../renderer'), electronCsp(opened.connectOrigins()));
      registerIpc(ipcMain, opened.registry, (url) => isTrustedSenderUrl(url, devServerUrl));

      const win = new BrowserWindow({
        width: 1600,
        height: 1000,
        title: 'Permanence',
        backgroundColor: '#10151c',
        webPreferences: {
          preload: join(import.meta.dirname, '../preload/index.cjs'),
          contextIsolation: true,
          sandbox: true,
          nodeIntegration: false,
          webSecurity: true,
          spellcheck: false,
          devTools: !app.isPackaged,
        },
      });
      window = win;
      hardenWindow(win, (url) => {
        // PSC's page of a login under way goes to the system browser too (the doctor's e-CPS or card).
        if (externalLinkAllowed(url, installation.externalLinks) || opened.isPscAuthorization(url)) void shell.openExternal(url);
        else log?.warn({ origin: safeOrigin(url) }, 'lien externe refusé (origine absente de externalLinks)');
      });
      const stopEvents = forwardEvents((l) => opened.subscribe(l), win.webContents);
      win.on('closed', () => {
        stopEvents();
        window = null;
      });
      await win.loadURL(devServerUrl ?? `${APP_ORIGIN}/`);
      startUpdates(installation.updateUrl, log);
    } catch (error) {
      fail('démarrage impossible', error);
    }
  }, (error) => fail('démarrage impossible', error));

  // Closing waits for the core: last sync flush, checkpoint, database closed; then quits.
  let closing = false;
  app.on('before-quit', (event) => {
    if (closing || !core) return;
    event.preventDefault();
    closing = true;
    const c = core;
    core = null;
    void c.close().then(
      () => {
        log?.info('fermeture');
        app.quit();
      },
      (error: unknown) => {
        log?.error({ err: { message: (error as Error)?.message } }, 'fermeture incomplète');
        app.exit(1);
      },
    );
  });
  app.on('window-all-closed', () => app.quit());
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'adresse invalide';
  }
}
