/**
 * The pages run under a strict CSP (no 'unsafe-eval'): zod must not try to compile its parsers with
 * `new Function` (it probes for it once, and the browser logs a CSP violation on every load).
 * Imported first by each page's entry, before any schema parses.
 */
import { z } from 'zod';

z.config({ jitless: true });
