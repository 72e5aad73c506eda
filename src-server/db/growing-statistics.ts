/**
 * Statements run often are prepared once per connection and keep their plan: a plan made while a
 * table was nearly empty reads the whole table at each call once it has grown (measured: the
 * writer's lookup of known verdicts took it from 8,000 to 1,200 mutations/s over 180,000 rows;
 * the Hub outbox's steps took 2.5 ms at 700 rows). PostgreSQL plans them again after ANALYZE, so
 * the statistics of such tables are refreshed as this process writes to them (after `first` rows,
 * then 2×, 4×… up to `last`), where autovacuum's own analyses would not have come yet (it runs
 * every minute at best; some machines turn it off).
 */
import type { Queryable } from './sql.js';

export class GrowingStatistics {
  private written = 0;
  private next: number;
  private running: Promise<void> | null = null;

  constructor(
    private readonly o: {
      db: Queryable;
      tables: readonly string[];
      first: number;
      last: number;
      /** An analysis that failed: said, never thrown at the writer (the next threshold tries again). */
      onError: (error: Error) => void;
    },
  ) {
    this.next = o.first;
  }

  /** Rows written: analyse in the background once a threshold is passed (one analysis at a time). */
  wrote(rows: number): void {
    this.written += rows;
    if (this.written < this.next || this.next > this.o.last || this.running) return;
    while (this.next <= this.written) this.next *= 2;
    this.running = this.o.db
      .exec(`ANALYZE ${this.o.tables.join(', ')}`)
      .catch((error: Error) => this.o.onError(error))
      .finally(() => {
        this.running = null;
      });
  }

  /** The analysis under way, if any (the Hub service waits for it when it stops). */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}
