/**
 * The desktop app's staging folder (release/staging): what the installers contain, apart from the
 * Electron binary. The built shell (out/), package.json with the runtime dependencies only, and
 * their node_modules; with --rebuild, the native modules rebuilt for Electron's ABI there (needs
 * Electron's headers from electronjs.org), so that the tests' Node build in ./node_modules stays.
 *
 *   npx tsx scripts/stage-desktop-app.ts [--rebuild] [--list]
 *
 * --list prints the files the package would hold (asar or unpacked) and checks what must and must
 * not be there; it is what tests/unit/desktop-packaging.test.ts runs, without the Electron binary.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const staging = join(root, 'release/staging');
const args = new Set(process.argv.slice(2));

if (!existsSync(join(root, 'out/main/index.js'))) {
  console.error('Shell de bureau non construit : lancez « npm run build:electron » d’abord.');
  process.exit(1);
}
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown> & { dependencies: Record<string, string>; devDependencies: Record<string, string> };
rmSync(staging, { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
cpSync(join(root, 'out'), join(staging, 'out'), { recursive: true });
const manifest = { name: pkg.name, version: pkg.version, description: pkg.description, type: pkg.type, main: pkg.main, dependencies: pkg.dependencies, devDependencies: { electron: pkg.devDependencies.electron } };
writeFileSync(join(staging, 'package.json'), JSON.stringify(manifest, null, 2));
cpSync(join(root, 'package-lock.json'), join(staging, 'package-lock.json'));
if (args.has('--rebuild')) {
  execFileSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: staging, stdio: 'inherit', env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } });
  const electronVersion = (JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
  execFileSync('npx', ['--yes', '@electron/rebuild', '--version', electronVersion, '--module-dir', staging, '--only', 'better-sqlite3-multiple-ciphers'], { cwd: staging, stdio: 'inherit' });
}
if (args.has('--list')) {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(relative(staging, path));
    }
  };
  walk(staging);
  const deps = Object.keys(pkg.dependencies);
  console.log(JSON.stringify({ files: files.sort(), runtimeDependencies: deps }, null, 1));
}
