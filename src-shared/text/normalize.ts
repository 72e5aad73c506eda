/**
 * Accent- and case-insensitive search keys: "Saint-Étienne" → "SAINT ETIENNE".
 * Used for patient names and commune names, on the workstation and on the server alike.
 */
export function searchKey(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/œ/gi, 'OE')
    .replace(/æ/gi, 'AE')
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, ' ')
    .trim();
}
