/**
 * Which links the desktop app hands to the system's browser: https:// addresses whose origin the
 * installation lists (the SAS platform, the center's intranet), nothing else. A link built from a
 * case (the SAS search carries the patient's commune and street, as its interface defines) must
 * not go to a site nobody chose.
 */
export function externalLinkAllowed(url: string, allowedOrigins: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.username || parsed.password) return false;
  return allowedOrigins.some((origin) => {
    try {
      return new URL(origin).origin === parsed.origin;
    } catch {
      return false;
    }
  });
}
