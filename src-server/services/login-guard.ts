/**
 * Limits on password guessing, per account and per client address, with rate-limiter-flexible (its
 * PostgreSQL store, over the server's own database: the counts survive a restart). Each account
 * has `accountFree` attempts, each address `addressFree`; beyond them, one attempt per delay, the
 * delay doubling from 2 s up to 15 min, and the others are refused at once with the time to wait,
 * before any password is checked (so 200 parallel guesses check a handful of passwords, not 200).
 * A good login clears its account's count. Workstation and effector logins alike.
 *
 * Login checks (counters, account, argon2: ~10 ms of a core each) go through one gate of
 * `concurrency` at a time, and addresses that logged in successfully lately pass first, with a
 * place kept for them: a flood of guesses from elsewhere waits behind the center's own
 * workstations instead of in front of them (a first login from a new address waits in the
 * flood's line). Unknown logins go through the same gate as known ones (their check is against a
 * dummy hash): timing tells nothing.
 */
import { randomBytes } from 'node:crypto';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { hashPassword, verifyPassword } from '../../src-node-shared/password-hash.js';
import type { Queryable } from '../db/sql.js';
import { ApiError } from '../http/errors.js';

export interface LoginGuardOptions {
  accountFree: number;
  addressFree: number;
  /** The longest wait between two attempts (seconds). */
  maxDelaySeconds: number;
}

const DAY_S = 24 * 3600;

/** rate-limiter-flexible's PostgreSQL store, on our connection (pg pool or PGlite alike). */
function storeClient(db: Queryable) {
  return {
    query: async (q: { text: string; values?: unknown[]; name?: string }) => {
      const r = await db.query(q.text, q.values, q.name);
      return { rows: r.rows, rowCount: r.rows.length };
    },
  };
}

export class LoginGuard {
  private readonly attempts: RateLimiterPostgres;
  private readonly gate: RateLimiterPostgres;
  /** Addresses with a good login lately (their last one), newest last. */
  private readonly trusted = new Map<string, number>();
  /** Checks running for addresses known good, for the others, and how many places the others may take. */
  private runningTrusted = 0;
  private runningOthers = 0;
  private readonly othersMax: number;
  private readonly waiting: { first: (() => void)[]; others: (() => void)[] } = { first: [], others: [] };
  private readonly concurrency: number;
  /** Checked against for an unknown login: the same work as for a wrong password (timing tells nothing). */
  private readonly dummyHash = hashPassword(randomBytes(16).toString('hex'));

  constructor(
    db: Queryable,
    private readonly options: LoginGuardOptions = { accountFree: 5, addressFree: 20, maxDelaySeconds: 900 },
    concurrency = 2,
  ) {
    this.concurrency = concurrency;
    this.othersMax = Math.max(1, concurrency - 1);
    const common = { storeClient: storeClient(db), storeType: 'pool', tableName: 'login_limits', tableCreated: true };
    this.attempts = new RateLimiterPostgres({ ...common, keyPrefix: 'attempts', points: 1_000_000, duration: DAY_S });
    this.gate = new RateLimiterPostgres({ ...common, keyPrefix: 'gate', points: 1, duration: 1 });
  }

  private delay(beyond: number): number {
    return Math.min(this.options.maxDelaySeconds, 2 ** Math.min(beyond, 20));
  }

  private async pass(key: string, free: number): Promise<void> {
    const n = (await this.attempts.consume(key)).consumedPoints;
    if (n <= free) return;
    try {
      await this.gate.consume(key, 1, { customDuration: this.delay(n - free) });
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      const seconds = Math.ceil(error.msBeforeNext / 1000);
      const wait = seconds >= 90 ? `${Math.ceil(seconds / 60)} min` : `${seconds} s`;
      throw new ApiError(429, 'too_many_attempts', `Trop d’essais de connexion : réessayez dans ${wait}.`, { retryAfterSeconds: seconds });
    }
  }

  /** Before a password is checked: throws a 429 with the wait when the account or the address must wait. */
  async begin(account: string, address: string): Promise<void> {
    await Promise.all([this.pass(`account:${account}`, this.options.accountFree), this.pass(`address:${address}`, this.options.addressFree)]);
  }

  /**
   * A login's password: the attempt counted (a 429 when it must wait), the account looked up
   * meanwhile, the password checked — against a dummy hash when there is no account. `good` is
   * true only for an existing account and the right password. The whole of it goes through the
   * gate (its database writes too: a flood's counters queued in front of a workstation's in the
   * pool made its login three times slower).
   */
  async checkPassword<T extends { password_hash: string }>(account: string, address: string, password: string, find: () => Promise<T | undefined>): Promise<{ found: T | undefined; good: boolean }> {
    return this.check(address, async () => {
      const [, found] = await Promise.all([this.begin(account, address), find()]);
      const good = await verifyPassword(password, found?.password_hash ?? (await this.dummyHash));
      return { found, good: !!found && good };
    });
  }

  /**
   * Runs a login's check through the gate, `concurrency` at a time. Addresses that logged in lately
   * pass first; the others take `concurrency - 1` places at most, and none starts while one of
   * those addresses' checks runs: a flood from elsewhere never makes a workstation wait for a
   * whole check in front of it, nor share the machine with more than the check already under way.
   */
  async check<T>(address: string, fn: () => Promise<T>): Promise<T> {
    const trusted = (this.trusted.get(address) ?? 0) > Date.now() - 30 * 86_400_000;
    await new Promise<void>((go) => {
      (trusted ? this.waiting.first : this.waiting.others).push(go);
      this.pump();
    });
    try {
      return await fn();
    } finally {
      if (trusted) this.runningTrusted -= 1;
      else this.runningOthers -= 1;
      this.pump();
    }
  }

  /** Lets in whoever may start now. */
  private pump(): void {
    for (;;) {
      const running = this.runningTrusted + this.runningOthers;
      if (this.waiting.first.length > 0 && running < this.concurrency) {
        this.runningTrusted += 1;
        this.waiting.first.shift()!();
      } else if (this.waiting.others.length > 0 && this.waiting.first.length === 0 && this.runningTrusted === 0 && this.runningOthers < this.othersMax) {
        this.runningOthers += 1;
        this.waiting.others.shift()!();
      } else return;
    }
  }

  /** A good password: the account starts afresh; the address gets this attempt back and is known good. */
  async succeeded(account: string, address: string): Promise<void> {
    this.trusted.delete(address);
    this.trusted.set(address, Date.now());
    if (this.trusted.size > 10_000) this.trusted.delete(this.trusted.keys().next().value!);
    await Promise.all([this.attempts.delete(`account:${account}`), this.gate.delete(`account:${account}`), this.attempts.reward(`address:${address}`)]);
  }
}
