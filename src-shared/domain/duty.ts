/**
 * Who is on duty at a given moment, from the directory: the decision form offers these first
 * (the case's sector's on-call doctors, duty pharmacies with the patient's commune first, MMGs).
 */
import type { Directory, Mmg, OnCall, Pharmacy } from '../schemas/directory.js';

/** On-call doctors at `at`: the sector's first, then the others; each list by end of duty. */
export function onCallAt(dir: Directory, at: number, sectorCode?: string): { doctor: OnCall; inSector: boolean }[] {
  return dir.onCall
    .filter((o) => o.start <= at && at < o.end)
    .map((doctor) => ({ doctor, inSector: doctor.sectorCode === sectorCode }))
    .sort((a, b) => Number(b.inSector) - Number(a.inSector) || a.doctor.end - b.doctor.end);
}

/** Duty pharmacies at `at`, the patient's commune first. */
export function pharmaciesAt(dir: Directory, at: number, inseeCode?: string): Pharmacy[] {
  return dir.pharmacies
    .filter((p) => p.start <= at && at < p.end)
    .sort((a, b) => Number(b.inseeCode === inseeCode) - Number(a.inseeCode === inseeCode) || a.name.localeCompare(b.name, 'fr'));
}

/** MMGs, the patient's commune first. */
export function mmgsNear(dir: Directory, inseeCode?: string): Mmg[] {
  return [...dir.mmgs].sort((a, b) => Number(b.inseeCode === inseeCode) - Number(a.inseeCode === inseeCode) || a.name.localeCompare(b.name, 'fr'));
}
