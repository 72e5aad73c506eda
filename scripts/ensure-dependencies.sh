#!/usr/bin/env bash
# Installs the npm dependencies only when package-lock.json changed since the last install (its
# hash is kept in node_modules/.permanence-lock.sha256): a start with nothing changed needs no
# network and no time. Used by start.sh and test-all.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
stamp=node_modules/.permanence-lock.sha256
wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -d node_modules ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ]; then
  exit 0
fi
echo "Dépendances à installer (package-lock.json modifié ou première installation) : npm ci"
npm ci --no-audit --no-fund
echo "$wanted" > "$stamp"
