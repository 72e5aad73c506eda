/** A text's JSON, or null when it is not JSON (an error page, a cut answer, a damaged file). */
export function jsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
