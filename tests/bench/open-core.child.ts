// The workstation core's cold open: key file read, cache keyed, pragmas, migration check, statements prepared, ready to serve.
import { WorkstationCore } from '../../src-main/core/workstation-core.js';
const t0 = performance.now();
const core = WorkstationCore.open({ dataDir: process.argv[2]! });
console.log(performance.now() - t0);
core.close();
