/**
 * The loopback Hub's dispatcher stub in a process of its own, as the real Hub is another system:
 * neither the baseline nor Permanence shares its event loop with it.
 *   hub-dispatcher.child.ts [prefetch]
 * Prints "ready" once consuming; stops on SIGTERM.
 */
import { HubDispatcherStub } from '../fixtures/hub-dispatcher.js';

const stub = new HubDispatcherStub({ prefetch: Number(process.argv[2] ?? 1000) });
await stub.start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void stub.stop().then(() => process.exit(0));
});
