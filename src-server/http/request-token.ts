/**
 * The token a request presents (Authorization: Bearer, or ?token= for browser WebSockets),
 * verified; a missing, forged or expired token is a 401 with a French message. Which role may
 * use which routes is the caller's check (workstations, effector page).
 */
import type { FastifyRequest } from 'fastify';
import { AuthError, type TokenClaims, type TokenService } from '../services/auth.js';
import { ApiError } from './errors.js';

export async function verifyRequestToken(tokens: TokenService, req: FastifyRequest): Promise<TokenClaims & { expiresAt: number }> {
  const header = req.headers.authorization;
  const token = header?.startsWith('Bearer ') ? header.slice(7) : (req.query as { token?: string })?.token;
  if (!token) throw new ApiError(401, 'unauthenticated', 'Authentification requise.');
  try {
    return await tokens.verify(token);
  } catch (error) {
    if (error instanceof AuthError) throw new ApiError(401, error.code, error.message);
    throw error;
  }
}
