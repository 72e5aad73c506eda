/**
 * Transport-agnostic registry: plain objects in, promises of Result out. The Electron IPC adapter,
 * the web host and the memory bridge all call it; each validates its own frame, the registry
 * validates the method name and the input (and, in tests, the output).
 */
import { err, type Result } from '../../src-shared/domain/result.js';
import { METHODS_WHILE_ENROLLING, METHODS_WHILE_LOCKED, METHODS_WITHOUT_SESSION, type MethodName, type MethodOutput, type MethodParsedInput } from '../../src-shared/contract/methods.js';
import { isMethodName, parseInput, parseOutput } from '../../src-shared/contract/validate.js';

export type Handler<M extends MethodName> = (input: MethodParsedInput<M>) => Result<MethodOutput<M>> | Promise<Result<MethodOutput<M>>>;
export type Handlers = { [M in MethodName]: Handler<M> };

export interface Registry {
  call(method: unknown, params: unknown): Promise<Result<unknown>>;
}

export interface RegistryOptions {
  /** Validate every output against the contract (on in tests and development). */
  validateOutputs?: boolean;
  onInternalError?: (method: string, error: unknown) => void;
}

/** Whether a user is logged in on this workstation now, and whether it is locked (the registry refuses the rest otherwise). */
export type SessionCheck = () => 'none' | 'locked' | 'enrolling' | 'open';

export function createRegistry(handlers: Handlers, options: RegistryOptions = {}, session: SessionCheck = () => 'open'): Registry {
  return {
    async call(method, params) {
      if (!isMethodName(method)) {
        return err('unknown_method', `Méthode inconnue : ${String(method).slice(0, 100)}`);
      }
      // Deny by default: with nobody logged in, only the login screen's methods answer.
      const state = session();
      if (state === 'none' && !METHODS_WITHOUT_SESSION.has(method)) return err('not_logged_in', 'Aucune session ouverte : connectez-vous.');
      if (state === 'locked' && !METHODS_WHILE_LOCKED.has(method)) return err('not_logged_in', 'Poste verrouillé : déverrouillez-le pour continuer.');
      if (state === 'enrolling' && !METHODS_WHILE_ENROLLING.has(method)) return err('forbidden', 'Enrôlez d’abord votre second facteur : le centre l’exige.');
      const input = parseInput(method, params);
      if (!input.ok) return input;
      try {
        const handler = handlers[method] as Handler<typeof method>;
        const result = await handler(input.value as never);
        if (result.ok && options.validateOutputs) return parseOutput(method, result.value);
        return result;
      } catch (error) {
        options.onInternalError?.(method, error);
        return err('internal', `Erreur interne pendant ${method}. Rien n’a été perdu ; réessayez ou prévenez le support.`);
      }
    },
  };
}
