#!/usr/bin/env bash
# The one command that sets up and runs Permanence on its embedded defaults (README: npm start).
# Electron when its binary is present; otherwise the browser shell, whose address is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
if node -e "process.exit(require('node:fs').existsSync('node_modules/electron/path.txt') ? 0 : 1)"; then
  echo "Binaire Electron présent : lancement de l’application de bureau."
  npx electron-vite build
  exec npx electron .
fi
echo "Binaire Electron absent : lancement du serveur central (PGlite) et de l’interface dans le navigateur."
npm run --silent build
exec npx tsx scripts/run-local-site.ts
