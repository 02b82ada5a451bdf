#!/usr/bin/env bash
# Rebuilds dashboard/vendor/plotly-partial.min.js: plotly.js with only the trace types the dashboard draws
# (scatter — in plotly.js's core —, bar and indicator), about a quarter of the full bundle dcc.Graph would fetch.
# Pinned: plotly.js is the version the installed Dash ships (plotly python's package_data/plotly.min.js); esbuild
# builds it as plotly.js builds its own dist (IIFE, global Plotly, same defines). node_modules live in a temporary
# folder that is removed afterwards: nothing but the bundle lands in the checkout.
#   scripts/build_plotly_bundle.sh          rebuild the bundle (needs node and npm, and the npm registry)
# Add a trace type the pages start to use (go.Pie, go.Heatmap ...) to TRACES below and run it again.
set -euo pipefail

PLOTLY_JS_VERSION=4.1.1
ESBUILD_VERSION=0.28.2
TRACES=(bar indicator)  # scatter is part of plotly.js/lib/core

root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/dashboard/vendor/plotly-partial.min.js"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cd "$work"
npm init -y >/dev/null
npm install --no-save --no-audit --no-fund --ignore-scripts --loglevel=error \
  "plotly.js@$PLOTLY_JS_VERSION" "esbuild@$ESBUILD_VERSION"

{
  echo "var Plotly = require('plotly.js/lib/core');"
  echo "Plotly.register(["
  for trace in "${TRACES[@]}"; do echo "  require('plotly.js/lib/$trace'),"; done
  echo "]);"
  echo "module.exports = Plotly;"
} >entry.js

banner="/*! plotly.js v$PLOTLY_JS_VERSION, partial bundle: scatter ${TRACES[*]} | Copyright 2012-2026, Plotly, Inc. \
All rights reserved. Licensed under the MIT license | built by qtm's scripts/build_plotly_bundle.sh with esbuild \
$ESBUILD_VERSION */"
# maplibre's stylesheet (map traces only) comes out as a CSS file of its own, which is left behind.
node_modules/.bin/esbuild entry.js --bundle --minify --format=iife --global-name=Plotly --target=es2016 \
  --define:global=window --define:define.amd=false --define:process.env.NODE_DEBUG=false \
  --legal-comments=eof --banner:js="$banner" --log-level=warning --outfile="$work/plotly-partial.min.js"

mkdir -p "$(dirname "$out")"
cp "$work/plotly-partial.min.js" "$out"
echo "wrote $out ($(wc -c <"$out") bytes, sha256 $(sha256sum "$out" | cut -c1-16))"
