/**
 * The Node options the central server runs with, in production (packaging/server: the systemd unit
 * and the Dockerfile pass them; tests/unit/server-packaging.test.ts checks they say the same as
 * this list) and in the benchmarks that start a server process of its own.
 *
 * `--max-semi-space-size=64` (MiB; V8's default is 16 on Node 20): a Hub Santé burst keeps up to a
 * link's prefetch of messages in flight (1,000 in the benchmark), each with ~15 kB of parsed message,
 * decided case and statement parameters that live until its commit. With 16 MiB of young generation
 * that data outlives two scavenges and is copied twice (measured: 412 MB promoted for 30,000
 * messages), the collector taking a third of the server's CPU in a burst. With 64 MiB: server CPU
 * 200 – 240 → 145 – 185 µs a message (per-process CPU, same machine, same minutes). The young
 * generation costs up to 3 × 64 MiB of memory when it is full; the server has it.
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=64'] as const;
