/**
 * One web host + workstation core per test, on a fresh data folder, serving the built renderer.
 * The data folder can be kept across a "restart" of the host to test persistence.
 */
import { test as base } from '@playwright/test';
import { resolve } from 'node:path';
import { WorkstationCore } from '../../src-main/core/workstation-core.js';
import { startWebHost, type WebHost } from '../../src-main/web-host/web-host.js';
import { tempDir } from '../fixtures/tmp.js';

export interface ShellHost {
  url: string;
  dataDir: string;
  host: WebHost;
  core: WorkstationCore;
  restart(): Promise<void>;
}

const STATIC = resolve(import.meta.dirname, '../../dist/renderer');

export const test = base.extend<{ shell: ShellHost }>({
  shell: async ({}, use) => {
    const dir = tempDir('permanence-e2e-');
    let core = WorkstationCore.open({ dataDir: dir.path });
    let host = await startWebHost({ core, staticDir: STATIC, port: 0 });
    const shell: ShellHost = {
      get url() {
        return host.launchUrl();
      },
      dataDir: dir.path,
      get host() {
        return host;
      },
      get core() {
        return core;
      },
      async restart() {
        const port = host.port;
        await host.close();
        await core.close();
        core = WorkstationCore.open({ dataDir: dir.path });
        host = await startWebHost({ core, staticDir: STATIC, port });
      },
    };
    await use(shell);
    await host.close();
    await core.close();
    dir.cleanup();
  },
});
export { expect } from '@playwright/test';
