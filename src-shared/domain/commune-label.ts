import type { Commune } from '../schemas/reference.js';

/** How a chosen commune reads in a location: "Octeville (Cherbourg-en-Cotentin)" for a former commune. */
export function communeLabel(c: Pick<Commune, 'name' | 'formerName'>): string {
  return c.formerName ? `${c.formerName} (${c.name})` : c.name;
}
