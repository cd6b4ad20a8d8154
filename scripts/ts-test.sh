#!/usr/bin/env bash
# The TypeScript packages (ts/): install from the lockfile, the generated client's freshness
# against openapi.json, lint, type check, unit tests, build, then both example apps in
# Debian's Chromium against the demo (ts/e2e/run.mjs). Installs what it needs: the npm
# packages (`npm ci`) and the `chromium` package (scripts/chromium.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/yauth-ci-target}"

scripts/chromium.sh
# No install scripts: none of the packages needs one (their native parts are prebuilt
# optional packages).
npm ci --prefix ts --ignore-scripts --no-audit --no-fund --loglevel=error
cd ts
npm run --silent check:generated
npm run --silent lint
npm run --silent typecheck
npm test --silent
npm run --silent build
# The demo binary as `cargo test --workspace` builds it (see scripts/browser-test.sh).
(cd .. && cargo test -q --workspace --locked --no-run --test http)
export YAUTH_DEMO_BIN="$CARGO_TARGET_DIR/debug/yauth-demo" RUST_LOG="${RUST_LOG:-warn}"
npm run --silent e2e
