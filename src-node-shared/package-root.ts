/**
 * The installed program's root folder (where package.json, resources/ and dist/ are), found by
 * walking up from the running module: the same answer from the TypeScript sources (tsx, tests) and
 * from the compiled server bundle (dist-server/), wherever each sits.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

let cached: string | null = null;

export function packageRoot(from: string = import.meta.dirname): string {
  if (cached) return cached;
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'permanence') return (cached = dir);
    if (dirname(dir) === dir) throw new Error(`Dossier du programme introuvable au-dessus de ${from} (package.json de permanence absent).`);
  }
}
