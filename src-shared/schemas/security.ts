/** A center's security settings, as its admin sets them (second factor, idle lock per role). */
import { z } from 'zod';

const IdleSeconds = z.number().int().min(60, 'verrouillage : 1 min au moins').max(3600, 'verrouillage : 60 min au plus');

export const SecuritySettingsSchema = z.strictObject({
  /** Password logins of the center's professionals need a second factor (TOTP). */
  requireSecondFactor: z.boolean(),
  idleLockSeconds: z.strictObject({ arm: IdleSeconds, physician: IdleSeconds, supervisor: IdleSeconds, admin: IdleSeconds }),
});
export type SecuritySettings = z.infer<typeof SecuritySettingsSchema>;

export const DEFAULT_SECURITY_SETTINGS: SecuritySettings = {
  requireSecondFactor: false,
  idleLockSeconds: { arm: 300, physician: 300, supervisor: 300, admin: 300 },
};

/** A six-digit code of an authenticator app. */
export const TotpCodeSchema = z.string().trim().regex(/^\d{6}$/, 'code à 6 chiffres');

export const SecondFactorEnrolmentSchema = z.strictObject({
  /** Base32 secret, to type in the app when the QR code cannot be scanned. */
  secret: z.string(),
  /** otpauth:// URI (the QR code's content). */
  uri: z.string(),
});
