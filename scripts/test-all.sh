#!/usr/bin/env bash
# The one command that sets up and passes every test (README; .ci/run calls exactly this).
# Installs what is missing (Debian packages, npm dependencies), starts the test services on
# loopback, then: type-check, lint, builds, unit/integration/contract tests, end-to-end tests in
# Debian's Chromium, and a smoke run of the benchmarks. Ends with "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
export CI=${CI:-}

step() { printf '\n=== %s ===\n' "$*"; }

step "services (PostgreSQL, RabbitMQ, Kamailio, Chromium)"
bash scripts/services.sh start

step "npm dependencies"
bash scripts/ensure-dependencies.sh

step "type-check"
npm run --silent typecheck
step "lint"
npm run --silent lint

step "build (browser shell, Electron shell)"
npm run --silent build
npm run --silent build:electron > /dev/null
npm run --silent build:server

mkdir -p .reports
rm -f .reports/vitest.json .reports/e2e.json
status=0
step "unit, integration, contract tests (vitest)"
npx vitest run --reporter=default --reporter=json --outputFile.json=.reports/vitest.json || status=1

step "database cluster tests (etcd + Patroni + synchronous standby + HAProxy on loopback, bounded)"
rm -f .reports/vitest-ha.json
if timeout 300 bash scripts/services.sh ha-start; then
  timeout 600 npx vitest run --config vitest.ha-cluster.config.ts --reporter=default --reporter=json --outputFile.json=.reports/vitest-ha.json || status=1
else
  status=1
fi
bash scripts/services.sh ha-stop || true

step "end-to-end tests (Playwright, /usr/bin/chromium)"
npx playwright test || status=1

step "benchmarks, smoke run"
npm run --silent bench:smoke || status=1

step "summary"
node scripts/summarize-tests.mjs .reports/vitest.json .reports/e2e.json .reports/vitest-ha.json || status=1
exit $status
