/**
 * The server's deployment files, checked here where neither docker nor systemd runs: the
 * Dockerfile through a Dockerfile validator (dockerfile-utils, the VS Code Docker language
 * server's), and what the image and the unit must contain to run the compiled server.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';

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
    expect(dockerfile).toContain('ENTRYPOINT ["node", "dist-server/permanence-server.mjs"]');
    expect(dockerfile).toContain('/api/ready');
    // What the compiled server reads at run time is in the image.
    for (const path of ['dist-server', 'dist/effector-page', 'resources', 'node_modules', 'package.json']) expect(dockerfile).toContain(`/src/${path}`);
  });

  it('the systemd unit runs the compiled server on its own Node, unprivileged, with its settings from a root-only file', () => {
    const unit = read('packaging/server/permanence-server.service');
    expect(unit).toMatch(/^ExecStart=\/opt\/permanence\/node\/bin\/node \/opt\/permanence\/dist-server\/permanence-server\.mjs serve$/m);
    expect(unit).toMatch(/^User=permanence$/m);
    expect(unit).toMatch(/^EnvironmentFile=\/etc\/permanence\/server\.env$/m);
    for (const hardening of ['NoNewPrivileges=true', 'ProtectSystem=strict', 'ProtectHome=true', 'UMask=0077']) expect(unit).toContain(hardening);
    const env = read('packaging/server/server.env.example');
    // No secret shipped in the example.
    expect(env).toMatch(/^PERMANENCE_TOKEN_SECRET=$/m);
  });
});
