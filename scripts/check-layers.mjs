#!/usr/bin/env node
/**
 * Runtime boundaries, checked on every lint:
 *  - only src-main/electron/ and src-preload/ import electron;
 *  - src-shared/ does no I/O (no node: modules, no database, network or UI library);
 *  - src-renderer/ imports no node: module, no database and no electron;
 *  - src-main/core/ imports neither electron nor react.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const files = (dir) =>
  readdirSync(join(root, dir)).flatMap((name) => {
    const p = join(dir, name);
    return statSync(join(root, p)).isDirectory() ? files(p) : /\.(ts|tsx|mts)$/.test(name) ? [p] : [];
  });
const importsOf = (file) =>
  [...readFileSync(join(root, file), 'utf8').matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm)].map(
    (m) => m[1] ?? m[2] ?? m[3],
  );

const rules = [
  { dir: 'src-shared', forbid: /^(node:|fs$|path$|http|better-sqlite3|ws$|electron|react|zustand|pg$|amqplib)/, why: 'src-shared is pure: no I/O, no UI' },
  { dir: 'src-renderer', forbid: /^(node:|better-sqlite3|ws$|electron|pg$|amqplib)/, why: 'the renderer runs in a sandboxed page' },
  { dir: 'src-effector-page', forbid: /^(node:|better-sqlite3|ws$|electron|pg$|amqplib|zustand)/, why: 'the effector page runs on a doctor’s phone' },
  { dir: 'src-main/core', forbid: /^(electron|react)/, why: 'the core runs without Electron and without UI' },
  { dir: 'src-main/web-host', forbid: /^(electron|react)/, why: 'the web host is plain Node' },
  { dir: 'src-server', forbid: /^(electron|react)/, why: 'the server is plain Node' },
  { dir: 'src-node-shared', forbid: /^(electron|react|better-sqlite3|pg$)/, why: 'Node helpers shared by core and server hold no storage or UI' },
];
const problems = [];
for (const rule of rules) {
  let list = [];
  try {
    list = files(rule.dir);
  } catch {
    continue;
  }
  for (const f of list) for (const spec of importsOf(f)) if (rule.forbid.test(spec)) problems.push(`${f}: imports "${spec}" (${rule.why})`);
}
for (const dir of ['src-main', 'src-renderer', 'src-server', 'src-shared', 'tests']) {
  let list = [];
  try {
    list = files(dir);
  } catch {
    continue;
  }
  for (const f of list) {
    if (f.startsWith('src-main/electron/') || f.startsWith('tests/electron/')) continue;
    for (const spec of importsOf(f)) if (spec === 'electron') problems.push(`${relative(root, join(root, f))}: imports electron outside src-main/electron and src-preload`);
  }
}
// The effector's page keeps nothing on the phone: no web storage, database, cache or service worker.
try {
  for (const f of files('src-effector-page')) {
    const text = readFileSync(join(root, f), 'utf8');
    const m = text.match(/\b(localStorage|sessionStorage|indexedDB|caches\.open|serviceWorker\.register|document\.cookie)\b/);
    if (m) problems.push(`${f}: uses ${m[1]} (the effector page stores nothing on the phone)`);
  }
} catch {
  // no effector page
}
if (problems.length) {
  console.error('Layer check failed:\n  ' + problems.join('\n  '));
  process.exit(1);
}
console.log('Layer check: ok');
