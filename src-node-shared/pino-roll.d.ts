// pino-roll ships no types: the part of its API used by support-log.ts.
declare module 'pino-roll' {
  import type { DestinationStream } from 'pino';
  interface RollOptions {
    file: string;
    extension?: string;
    frequency?: 'daily' | 'hourly' | number;
    size?: string | number;
    limit?: { count: number; removeOtherLogFiles?: boolean };
    mkdir?: boolean;
    symlink?: boolean;
  }
  export default function roll(options: RollOptions): Promise<DestinationStream & { end(): void; flushSync(): void }>;
}
