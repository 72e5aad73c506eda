import { defineConfig } from 'vitest/config';

/**
 * The database cluster's tests (Patroni + etcd + synchronous standby + HAProxy): run apart, once
 * `scripts/ha-cluster.sh start` has started the cluster (scripts/test-all.sh does both, then stops it).
 */
export default defineConfig({
  test: {
    include: ['tests/ha-cluster/**/*.test.ts'],
    environment: 'node',
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    env: { PERMANENCE_TEST_PG: 'postgres://postgres:permanence-ha-super@127.0.0.1:5440/postgres' },
  },
});
