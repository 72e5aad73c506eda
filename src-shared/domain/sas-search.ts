/**
 * The national SAS platform's search opened from a case with its context, as the platform's
 * contextual call reads it (ansforge/SAS-moteur-recherche, `sas_search`; ../shared/docs/
 * effectors-and-slots.md §12): `origin` (the regulation software's registered id), `practitioner`
 * (the treating doctor as `urn:oid:1.2.250.1.71.4.2.1|8<RPPS>`), `inseecode`, `city`,
 * `streetnumber`, `streetname`. Pure: the URL and origin are the center's settings.
 */
import type { RegulationCase } from '../schemas/case.js';

/** The national identifier of a health professional from the RPPS (prefix 8), in the OID of the ANS. */
const RPPS_OID = 'urn:oid:1.2.250.1.71.4.2.1';

/** "12 bis rue des Forges" → number "12 bis", street "rue des Forges". */
export function splitStreet(address: string): { number?: string; street: string } {
  const m = /^\s*(\d+\s*(?:bis|ter|quater|[a-d])?)\b[\s,]+(.+)$/i.exec(address.split(',')[0] ?? address);
  return m ? { number: m[1]!.replace(/\s+/g, ' ').trim(), street: m[2]!.trim() } : { street: (address.split(',')[0] ?? address).trim() };
}

export function sasSearchUrl(settings: { url: string; origin: string }, c: Pick<RegulationCase, 'fields'>): string {
  const u = new URL(settings.url);
  u.searchParams.set('origin', settings.origin);
  const doctor = c.fields.treatingDoctor;
  if (doctor?.id && /^\d{11}$/.test(doctor.id)) u.searchParams.set('practitioner', `${RPPS_OID}|8${doctor.id}`);
  const loc = c.fields.location;
  if (loc?.inseeCode) u.searchParams.set('inseecode', loc.inseeCode);
  if (loc?.communeName) u.searchParams.set('city', loc.communeName);
  if (loc?.address) {
    const { number, street } = splitStreet(loc.address);
    if (number) u.searchParams.set('streetnumber', number);
    if (street) u.searchParams.set('streetname', street);
  }
  return u.toString();
}
