/** Time zones of French departments: the PDSA calendar runs on the department's wall clock. */
const OVERSEAS_TIME_ZONES: Record<string, string> = {
  '971': 'America/Guadeloupe',
  '972': 'America/Martinique',
  '973': 'America/Cayenne',
  '974': 'Indian/Reunion',
  '976': 'Indian/Mayotte',
};
export function departmentTimeZone(department: string): string {
  return OVERSEAS_TIME_ZONES[department] ?? 'Europe/Paris';
}

/** date-holidays' region code for departments whose public holidays differ from the national list. */
const HOLIDAY_REGIONS: Record<string, string> = {
  '57': '57',
  '67': '67',
  '68': '68',
  '971': 'GP',
  '972': 'MQ',
  '973': 'GF',
  '974': 'RE',
  '976': 'YT',
};
export function departmentHolidayRegion(department: string): string | undefined {
  return HOLIDAY_REGIONS[department];
}
