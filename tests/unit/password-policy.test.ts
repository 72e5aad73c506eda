import { describe, expect, it } from 'vitest';
import { passwordProblem } from '../../src-server/services/password-policy.js';

describe('the password policy of local accounts', () => {
  it('refuses short, breached, guessable and personal passwords, in French', async () => {
    expect(await passwordProblem('Court-1')).toBe('Mot de passe trop court : 12 caractères au moins.');
    expect(await passwordProblem('password1234')).toBe('Mot de passe refusé : il figure dans les listes de mots de passe divulgués.');
    expect(await passwordProblem('azerty123456')).toMatch(/^Mot de passe trop faible : /);
    // The doctor's RPPS in his own password: personal data, guessable.
    expect(await passwordProblem('10000000017-pass', ['10000000017', 'GARNIER', 'Hélène'])).toBe('Mot de passe trop faible : Le mot de passe ne doit pas comporter de données personnelles ou liées au site.');
    expect(await passwordProblem('10000000017-pass')).toBeNull();
  });

  it('accepts a long passphrase', async () => {
    expect(await passwordProblem('Lune-Quai-Violon-47', ['arm1', 'ARM 1', 'cote-dor'])).toBeNull();
  });
});
