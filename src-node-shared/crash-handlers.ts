/**
 * A Node process of Permanence (the central server, a workstation's web host, the demo site, the
 * Electron main process) that meets an error nobody handled says what it was, then exits with a
 * code of its own, so that its supervisor (systemd, the launcher) restarts it in a known state,
 * instead of going on half broken, or dying with nothing in the log.
 */
export const CRASH_EXIT_CODE = 70; // EX_SOFTWARE

export function exitOnUnhandledErrors(log: (message: string, error: unknown) => void, exit: (code: number) => void = (code) => process.exit(code)): void {
  process.on('unhandledRejection', (reason) => {
    log('promesse rejetée sans traitement : arrêt du processus pour qu’il soit redémarré', reason);
    exit(CRASH_EXIT_CODE);
  });
  process.on('uncaughtException', (error) => {
    log('exception non traitée : arrêt du processus pour qu’il soit redémarré', error);
    exit(CRASH_EXIT_CODE);
  });
}
