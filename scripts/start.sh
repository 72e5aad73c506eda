#!/usr/bin/env bash
# The one command that sets up and runs Permanence on its embedded defaults (README: npm start).
# Electron when its binary is present; otherwise the browser shell, whose address is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
bash scripts/ensure-dependencies.sh
if node -e "process.exit(require('node:fs').existsSync('node_modules/electron/path.txt') ? 0 : 1)"; then
  echo "Binaire Electron présent : serveur central local (PGlite) et application de bureau reliée à lui."
  npm run --silent build
  npx electron-vite build
  npx tsx scripts/run-local-site.ts &
  site=$!
  trap 'kill $site 2>/dev/null || true' EXIT
  until curl -fsS "http://127.0.0.1:${PERMANENCE_SERVER_PORT:-5790}/api/health" > /dev/null 2>&1; do sleep 0.5; done
  PERMANENCE_SERVER_URL="http://127.0.0.1:${PERMANENCE_SERVER_PORT:-5790}" PERMANENCE_TENANT=demo \
    PERMANENCE_DATA_DIR="${PERMANENCE_DATA_DIR:-.data}/desktop" npx electron .
  exit $?
fi
echo "Binaire Electron absent : lancement du serveur central (PGlite) et de l’interface dans le navigateur."
npm run --silent build
exec npx tsx scripts/run-local-site.ts
