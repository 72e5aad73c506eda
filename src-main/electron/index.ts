/**
 * The Electron main process: thin. It starts the same workstation core as the web host, serves the
 * renderer from app://permanence, and connects the two with the IPC adapter.
 * better-sqlite3 must be rebuilt for Electron's ABI when packaging (electron-builder install-app-deps).
 */
import { app, BrowserWindow, ipcMain } from 'electron';
import { join } from 'node:path';
import { WorkstationCore } from '../core/workstation-core.js';
import { exitOnUnhandledErrors } from '../../src-node-shared/crash-handlers.js';
import { forwardEvents, isTrustedSenderUrl, registerIpc } from './ipc.js';
import {
  APP_ORIGIN,
  electronCsp,
  ensureSingleInstance,
  hardenSession,
  hardenWindow,
  registerAppScheme,
  serveRendererFrom,
} from './security.js';

registerAppScheme();
// The UI speaks French whatever the operating system's language: Chromium's own controls (date
// and time fields, their pickers) follow this locale, so a date reads 26/11/2026 and a time 08:30,
// never 11/26/2026 08:30 AM on a workstation installed in English. Must be set before 'ready'.
app.commandLine.appendSwitch('lang', 'fr-FR');
if (!ensureSingleInstance()) app.quit();

const devServerUrl = process.env.ELECTRON_RENDERER_URL;

exitOnUnhandledErrors((message, error) => console.error(`[main] ${message}:`, error));

app.whenReady().then(() => {
  const core = WorkstationCore.open({
    dataDir: process.env.PERMANENCE_DATA_DIR ?? join(app.getPath('userData'), 'workstation'),
    registry: { onInternalError: (m, e) => console.error(`[core] ${m}:`, e) },
    ...(process.env.PERMANENCE_IDLE_LOCK_SECONDS ? { idleLockSeconds: Number(process.env.PERMANENCE_IDLE_LOCK_SECONDS) } : {}),
    ...(process.env.PERMANENCE_SIP_ORIGINS ? { telephonyOrigins: process.env.PERMANENCE_SIP_ORIGINS.split(',').map((o) => o.trim()) } : {}),
  });
  hardenSession();
  serveRendererFrom(join(import.meta.dirname, '../renderer'), electronCsp(core.connectOrigins()));
  registerIpc(ipcMain, core.registry, (url) => isTrustedSenderUrl(url, devServerUrl));

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
    },
  });
  hardenWindow(win);
  const stopEvents = forwardEvents((l) => core.subscribe(l), win.webContents);
  void win.loadURL(devServerUrl ?? `${APP_ORIGIN}/`);
  app.on('window-all-closed', () => {
    stopEvents();
    core.close();
    app.quit();
  });
});
