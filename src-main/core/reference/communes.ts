/**
 * French communes and departments, offline, from @etalab/decoupage-administratif (INSEE's official
 * geography with La Poste postal codes and populations). Loaded once, indexed for accent-insensitive
 * search by name prefix or postal code.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Commune, Department } from '../../../src-shared/schemas/reference.js';
import { searchKey } from '../../../src-shared/text/normalize.js';

interface RawCommune {
  code: string;
  nom: string;
  type: string;
  departement?: string;
  codesPostaux?: string[];
  population?: number;
}
interface RawDepartment {
  code: string;
  nom: string;
  region: string;
}

interface Entry {
  commune: Commune;
  key: string;
  /** Words of the key, for matching "etienne" in "SAINT ETIENNE". */
  words: string[];
}

function dataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@etalab/decoupage-administratif/package.json')), 'data');
}

export class CommuneDirectory {
  private constructor(
    private readonly entries: Entry[],
    private readonly byPostalCode: Map<string, Entry[]>,
    private readonly byInsee: Map<string, Entry>,
    readonly departments: Department[],
  ) {}

  static load(dir = dataDir()): CommuneDirectory {
    const rawDepartments = JSON.parse(readFileSync(join(dir, 'departements.json'), 'utf8')) as RawDepartment[];
    const departments = rawDepartments.map((d) => ({ code: d.code, name: d.nom, region: d.region }));
    const depName = new Map(departments.map((d) => [d.code, d.name]));
    const raw = JSON.parse(readFileSync(join(dir, 'communes.json'), 'utf8')) as RawCommune[];
    const entries: Entry[] = [];
    const byPostalCode = new Map<string, Entry[]>();
    const byInsee = new Map<string, Entry>();
    for (const r of raw) {
      // Current communes only (not former "communes déléguées/associées" nor Paris/Lyon/Marseille districts).
      if (r.type !== 'commune-actuelle' || !r.departement) continue;
      const key = searchKey(r.nom);
      const entry: Entry = {
        commune: {
          inseeCode: r.code,
          name: r.nom,
          departmentCode: r.departement,
          departmentName: depName.get(r.departement) ?? r.departement,
          postalCodes: r.codesPostaux ?? [],
          population: r.population ?? null,
        },
        key,
        words: key.split(' '),
      };
      entries.push(entry);
      byInsee.set(r.code, entry);
      for (const cp of entry.commune.postalCodes) {
        const list = byPostalCode.get(cp) ?? [];
        list.push(entry);
        byPostalCode.set(cp, list);
      }
    }
    // Biggest communes first: the likeliest answer for an ambiguous prefix ("Saint-D…").
    entries.sort((a, b) => (b.commune.population ?? 0) - (a.commune.population ?? 0));
    return new CommuneDirectory(entries, byPostalCode, byInsee, departments);
  }

  get size(): number {
    return this.entries.length;
  }

  byInseeCode(code: string): Commune | undefined {
    return this.byInsee.get(code)?.commune;
  }

  /**
   * Name prefix ("st etienne", "saint-é"), any word's prefix ("etienne"), or a postal code (full or
   * its start: "2100"). Communes of `department` come first when given. Ranked: exact name, name
   * prefix, word prefix; by population within each rank.
   */
  search(query: string, limit = 10, department?: string): Commune[] {
    const q = query.trim();
    if (/^\d{2,5}$/.test(q)) {
      const hits: Entry[] = [];
      if (q.length === 5) hits.push(...(this.byPostalCode.get(q) ?? []));
      else for (const [cp, list] of this.byPostalCode) if (cp.startsWith(q)) hits.push(...list);
      return rank(dedupe(hits).map((e) => ({ e, score: 0 })), limit, department);
    }
    let key = searchKey(q);
    if (key === '') return [];
    // Regulators type "st" and "ste" for Saint / Sainte.
    key = key.replace(/^STE\b/, 'SAINTE').replace(/^ST\b/, 'SAINT');
    const scored: { e: Entry; score: number }[] = [];
    for (const e of this.entries) {
      if (e.key === key) scored.push({ e, score: 0 });
      else if (e.key.startsWith(key)) scored.push({ e, score: 1 });
      else if (e.words.some((w) => w.startsWith(key))) scored.push({ e, score: 2 });
    }
    return rank(scored, limit, department);
  }
}

function dedupe(entries: Entry[]): Entry[] {
  return [...new Set(entries)];
}

function rank(scored: { e: Entry; score: number }[], limit: number, department?: string): Commune[] {
  return scored
    .map((s) => ({ ...s, score: s.score + (department && s.e.commune.departmentCode !== department ? 10 : 0) }))
    .toSorted((a, b) => a.score - b.score || (b.e.commune.population ?? 0) - (a.e.commune.population ?? 0))
    .slice(0, limit)
    .map((s) => s.e.commune);
}
