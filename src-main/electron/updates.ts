/**
 * Updates of the desktop app (electron-updater): looked for at start and every four hours from the
 * server IT controls, downloaded in the background, and installed only when the user quits the
 * application: never a restart by itself, so never during a call or with a case open. On Windows
 * electron-updater checks the downloaded installer's Authenticode signature against the publisher
 * named in the package (packaging/electron-builder.json, win.signtoolOptions.publisherName) and
 * refuses any other; Linux workstations are updated by their package manager (deb), not here.
 */
import { app } from 'electron';
import electronUpdater from 'electron-updater';
import type { Logger } from 'pino';

const EVERY_FOUR_HOURS = 4 * 3600_000;

export function startUpdates(updateUrl: string | null, log: Logger): void {
  // Development builds and Linux packages: nothing to do here.
  if (!app.isPackaged || process.platform === 'linux') return;
  const { autoUpdater } = electronUpdater;
  autoUpdater.autoDownload = true;
  autoUpdater.autoInstallOnAppQuit = true;
  autoUpdater.allowDowngrade = false;
  if (updateUrl) autoUpdater.setFeedURL({ provider: 'generic', url: updateUrl });
  autoUpdater.on('error', (error) => log.warn({ err: { message: error.message } }, 'mise à jour : échec (nouvel essai plus tard)'));
  autoUpdater.on('update-downloaded', (info) => log.info({ version: info.version }, 'mise à jour téléchargée : installée à la fermeture de l’application'));
  const check = () => void autoUpdater.checkForUpdates().catch((error: Error) => log.warn({ err: { message: error.message } }, 'mise à jour : serveur injoignable'));
  check();
  setInterval(check, EVERY_FOUR_HOURS).unref();
}
