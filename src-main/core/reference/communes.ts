/**
 * French communes and departments, offline, from @etalab/decoupage-administratif (INSEE's official
 * geography with La Poste postal codes and populations). Loaded once, indexed for search by name
 * or postal code the way regulators type them:
 * - accents, case, apostrophes and hyphens ignored ("lhay les roses", "l hay", "L'Haÿ-les-Roses");
 * - Paris, Lyon and Marseille by arrondissement (its own INSEE code and postal code);
 * - former communes merged into a "commune nouvelle" (communes déléguées and associées), which
 *   callers still name: the answer carries the commune nouvelle's INSEE code and the former name;
 * - a postal code lists every commune that shares it (51300 has 46).
 * Each answer stands for one postal code when it is known, so that what was typed is what is kept.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Commune, Department } from '../../../src-shared/schemas/reference.js';
import { searchKey } from '../../../src-shared/text/normalize.js';
import { communeLabel } from '../../../src-shared/domain/commune-label.js';

interface RawCommune {
  code: string;
  nom: string;
  type: string;
  departement?: string;
  codesPostaux?: string[];
  population?: number;
  /** Arrondissement municipal: its commune (Paris 75056, Lyon 69123, Marseille 13055). */
  commune?: string;
  /** Commune déléguée or associée: the commune it belongs to now. */
  chefLieu?: string;
}
interface RawDepartment {
  code: string;
  nom: string;
  region: string;
}

interface Entry {
  /** The commune as answered, without a postal code chosen. */
  commune: Commune;
  /** The name searched: the former name for a commune déléguée, the commune's otherwise. */
  key: string;
  /** The key without its spaces: "L HAY LES ROSES" → "LHAYLESROSES" (apostrophes typed or not). */
  compact: string;
  /** Words of the key, for matching "etienne" in "SAINT ETIENNE". */
  words: string[];
  population: number;
}

function dataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@etalab/decoupage-administratif/package.json')), 'data');
}

export class CommuneDirectory {
  private constructor(
    /** What a name search walks: current communes (arrondissements instead of their city) and former ones. */
    private readonly entries: Entry[],
    private readonly byPostalCode: Map<string, Entry[]>,
    /** Every INSEE code a location may carry: current communes, their cities' arrondissements. */
    private readonly byInsee: Map<string, Commune>,
    /** The former names each commune nouvelle may be recorded under. */
    private readonly formerNames: Map<string, Set<string>>,
    readonly departments: Department[],
  ) {}

  static load(dir = dataDir()): CommuneDirectory {
    const rawDepartments = JSON.parse(readFileSync(join(dir, 'departements.json'), 'utf8')) as RawDepartment[];
    const departments = rawDepartments.map((d) => ({ code: d.code, name: d.nom, region: d.region }));
    const depName = new Map(departments.map((d) => [d.code, d.name]));
    const raw = JSON.parse(readFileSync(join(dir, 'communes.json'), 'utf8')) as RawCommune[];
    const communeOf = (r: RawCommune, extra: Partial<Commune> = {}): Commune => ({
      inseeCode: r.code,
      name: r.nom,
      departmentCode: r.departement!,
      departmentName: depName.get(r.departement!) ?? r.departement!,
      postalCodes: r.codesPostaux ?? [],
      population: r.population ?? null,
      ...extra,
    });
    const entry = (commune: Commune, name: string, population: number): Entry => {
      const key = searchKey(name);
      return { commune, key, compact: key.replaceAll(' ', ''), words: key.split(' '), population };
    };

    const byInsee = new Map<string, Commune>();
    const citiesWithDistricts = new Set<string>();
    for (const r of raw) {
      if (!r.departement) continue;
      if (r.type === 'commune-actuelle') byInsee.set(r.code, communeOf(r));
      else if (r.type === 'arrondissement-municipal' && r.commune) citiesWithDistricts.add(r.commune);
    }
    const entries: Entry[] = [];
    const formerNames = new Map<string, Set<string>>();
    for (const r of raw) {
      if (!r.departement) continue;
      if (r.type === 'commune-actuelle') {
        // Paris, Lyon, Marseille are answered by arrondissement: its INSEE and postal codes are the patient's.
        if (!citiesWithDistricts.has(r.code)) entries.push(entry(byInsee.get(r.code)!, r.nom, r.population ?? 0));
      } else if (r.type === 'arrondissement-municipal' && r.commune) {
        const district = communeOf(r, { cityInseeCode: r.commune });
        byInsee.set(r.code, district);
        entries.push(entry(district, r.nom, r.population ?? 0));
      } else if ((r.type === 'commune-deleguee' || r.type === 'commune-associee') && r.chefLieu) {
        const current = byInsee.get(r.chefLieu);
        // A commune déléguée named like its commune nouvelle is the commune itself.
        if (!current || searchKey(current.name) === searchKey(r.nom)) continue;
        entries.push(entry({ ...current, formerName: r.nom }, r.nom, 0));
        const names = formerNames.get(current.inseeCode) ?? new Set<string>();
        names.add(r.nom);
        formerNames.set(current.inseeCode, names);
      }
    }
    // Biggest communes first: the likeliest answer for an ambiguous prefix ("Saint-D…").
    entries.sort((a, b) => b.population - a.population);
    const byPostalCode = new Map<string, Entry[]>();
    for (const e of entries) {
      if (e.commune.formerName) continue; // a former commune has no postal code of its own in the data
      for (const cp of e.commune.postalCodes) {
        const list = byPostalCode.get(cp) ?? [];
        list.push(e);
        byPostalCode.set(cp, list);
      }
    }
    return new CommuneDirectory(entries, byPostalCode, byInsee, formerNames, departments);
  }

  get size(): number {
    return this.byInsee.size;
  }

  byInseeCode(code: string): Commune | undefined {
    return this.byInsee.get(code);
  }

  /** The names a location with this INSEE code may show: the commune's, or one of its former communes'. */
  labelsOf(code: string): string[] {
    const c = this.byInsee.get(code);
    if (!c) return [];
    return [c.name, ...[...(this.formerNames.get(code) ?? [])].map((formerName) => communeLabel({ name: c.name, formerName }))];
  }

  /**
   * Name prefix ("st etienne", "saint-é", "lhay"), any word's prefix ("etienne"), or a postal code
   * (full or its start: "2100"). Communes of `department` come first when given. Ranked: exact
   * name, name prefix, word prefix; by population within each rank. A commune with several
   * postal codes is answered once per code (Orléans 45000 and 45100) so that the one chosen is kept.
   */
  search(query: string, limit = 10, department?: string): Commune[] {
    const q = query.trim();
    if (/^\d{2,5}$/.test(q)) {
      const hits: { e: Entry; score: number; postalCode: string }[] = [];
      for (const [cp, list] of this.byPostalCode) {
        if (q.length === 5 ? cp !== q : !cp.startsWith(q)) continue;
        for (const e of list) hits.push({ e, score: 0, postalCode: cp });
      }
      return rank(hits, limit, department);
    }
    let key = searchKey(q);
    if (key === '') return [];
    // Regulators type "st" and "ste" for Saint / Sainte.
    key = key.replace(/^STE\b/, 'SAINTE').replace(/^ST\b/, 'SAINT');
    const compact = key.replaceAll(' ', '');
    const scored: { e: Entry; score: number; postalCode?: string }[] = [];
    for (const e of this.entries) {
      let score: number;
      if (e.compact === compact) score = 0;
      else if (e.compact.startsWith(compact)) score = 1;
      else if (e.words.some((w) => w.startsWith(key))) score = 2;
      else continue;
      // A former commune ranks after the current ones of the same rank.
      if (e.commune.formerName) score += 0.5;
      const codes = e.commune.formerName || e.commune.postalCodes.length === 0 ? [] : e.commune.postalCodes;
      if (codes.length <= 1) scored.push({ e, score, ...(codes[0] ? { postalCode: codes[0] } : {}) });
      else for (const postalCode of codes) scored.push({ e, score, postalCode });
    }
    return rank(scored, limit, department);
  }
}

function rank(scored: { e: Entry; score: number; postalCode?: string }[], limit: number, department?: string): Commune[] {
  return scored
    .map((s) => ({ ...s, score: s.score + (department && s.e.commune.departmentCode !== department ? 10 : 0) }))
    .toSorted(
      (a, b) =>
        a.score - b.score ||
        b.e.population - a.e.population ||
        a.e.commune.name.localeCompare(b.e.commune.name, 'fr') ||
        (a.postalCode ?? '').localeCompare(b.postalCode ?? ''),
    )
    .slice(0, limit)
    .map((s) => (s.postalCode ? { ...s.e.commune, postalCode: s.postalCode } : s.e.commune));
}
