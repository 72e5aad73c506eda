/**
 * The password policy of local accounts (users, effector pages), as the national identification
 * reference asks of a password login: 12 characters at least, not one of the ~49,000 most common
 * passwords of the breached-password lists shipped with @zxcvbn-ts/language-common, and hard to
 * guess by zxcvbn's estimate (score 3 of 4 at least, the login, the name and the center counted
 * as known words). Messages in French (zxcvbn's French translations).
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as fr from '@zxcvbn-ts/language-fr';

export const PASSWORD_MIN_LENGTH = 12;

const zxcvbn = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...fr.dictionary },
  graphs: common.adjacencyGraphs,
  translations: fr.translations,
});
const BREACHED = new Set((common.dictionary['passwords-common'] as string[]).map((p) => p.toLowerCase()));

/** What is wrong with this password, in French, or null when it is acceptable. */
export async function passwordProblem(password: string, known: string[] = []): Promise<string | null> {
  if (password.length < PASSWORD_MIN_LENGTH) return `Mot de passe trop court : ${PASSWORD_MIN_LENGTH} caractères au moins.`;
  if (BREACHED.has(password.toLowerCase())) return 'Mot de passe refusé : il figure dans les listes de mots de passe divulgués.';
  // A name counts word by word ("Martine DUPONT" makes "dupont-martine" guessable).
  const words = known.flatMap((k) => [k, ...k.split(/[\s\-_.,'’]+/)]).filter((k) => k.length > 1);
  const r = await zxcvbn.checkAsync(password, words);
  if (r.score < 3) {
    const why = r.feedback.warning ?? r.feedback.suggestions[0] ?? 'il se devine trop facilement';
    return `Mot de passe trop faible : ${why.replace(/\.$/, '')}.`;
  }
  return null;
}
