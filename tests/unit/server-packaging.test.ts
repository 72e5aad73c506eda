/**
 * The server's deployment files, checked here where neither docker nor systemd runs: the
 * Dockerfile through a Dockerfile validator (dockerfile-utils, the VS Code Docker language
 * server's), and what the image and the unit must contain to run the compiled server.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { SERVER_NODE_FLAGS } from '../../src-server/operations/node-flags.js';

const ROOT = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

describe('server deployment files', () => {
  it('the Dockerfile is valid, runs the compiled server as an unprivileged user, and checks readiness', () => {
    const dockerfile = read('packaging/server/Dockerfile');
    expect(validate(dockerfile).map((d) => d.message)).toEqual([]);
    // The validator does flag a broken file (the test would fail on one).
    expect(validate('FROM node:22\nRUNN npm ci\n').length).toBeGreaterThan(0);
    expect(dockerfile).toMatch(/^FROM node:22-bookworm-slim AS build$/m);
    expect(dockerfile).toMatch(/^USER permanence$/m);
    expect(dockerfile).toContain(`ENTRYPOINT ${JSON.stringify(['node', ...SERVER_NODE_FLAGS, 'dist-server/permanence-server.mjs']).replaceAll('","', '", "')}`);
    expect(dockerfile).toContain('/api/ready');
    // What the compiled server reads at run time is in the image.
    for (const path of ['dist-server', 'dist/effector-page', 'resources', 'node_modules', 'package.json']) expect(dockerfile).toContain(`/src/${path}`);
  });

  it('the systemd unit runs the compiled server on its own Node, unprivileged, with its settings from a root-only file', () => {
    const unit = read('packaging/server/permanence-server.service');
    // With the Node options the benchmarks measure the server with (src-server/operations/node-flags.ts).
    expect(unit.split('\n')).toContain(`ExecStart=/opt/permanence/node/bin/node ${SERVER_NODE_FLAGS.join(' ')} /opt/permanence/dist-server/permanence-server.mjs serve`);
    expect(unit).toMatch(/^User=permanence$/m);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/permanence\/server\.env$/m);
    for (const hardening of ['NoNewPrivileges=true', 'ProtectSystem=strict', 'ProtectHome=true', 'UMask=0077']) expect(unit).toContain(hardening);
    const env = read('packaging/server/server.env.example');
    // No secret shipped in the example.
    expect(env).toMatch(/^PERMANENCE_TOKEN_SECRET=$/m);
  });
});
