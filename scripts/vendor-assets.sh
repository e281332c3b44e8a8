#!/usr/bin/env bash
# Refreshes static/vendor from the npm registry at the versions in package.json.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
cp package.json "$tmp/"
(cd "$tmp" && npm install --silent --no-audit --no-fund)
cp "$tmp/node_modules/htmx.org/dist/htmx.min.js" static/vendor/
cp "$tmp/node_modules/echarts/dist/echarts.min.js" static/vendor/
cp "$tmp/node_modules/sortablejs/Sortable.min.js" static/vendor/
for p in htmx.org echarts sortablejs; do cp "$tmp/node_modules/$p/LICENSE" "static/vendor/licenses/${p%%.org}.LICENSE"; done
rm -rf "$tmp"
