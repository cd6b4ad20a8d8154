#!/usr/bin/env bash
# The demo with clients we did not write: its page in a real browser
# (demo/browser/passkeys-and-mfa.mjs: Debian's Chromium, driven by playwright-core, with
# Chromium's virtual authenticator), the demo as an OpenID provider for panva's
# openid-client, a certified relying party (demo/browser/oidc-relying-party.mjs), and the
# demo signing in through panva's oidc-provider, a certified OpenID Provider, in Chromium
# (demo/browser/oidc-provider-sign-in.mjs). Installs
# what it needs:
# the `chromium` package (apt, when /usr/bin/chromium is missing) and the npm packages of
# demo/browser (`npm ci`, from its package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/yauth-ci-target}"

scripts/chromium.sh
npm ci --prefix demo/browser --ignore-scripts --no-audit --no-fund --loglevel=error
# The demo binary as `cargo test --workspace` builds it (scripts/fuzz.sh explains why not
# `cargo build -p yauth-demo`: other features, minutes of rebuilding): after the tests this
# compiles nothing.
cargo test -q --workspace --locked --no-run --test http
YAUTH_DEMO_BIN="$CARGO_TARGET_DIR/debug/yauth-demo" RUST_LOG="${RUST_LOG:-warn}" \
  node demo/browser/passkeys-and-mfa.mjs
YAUTH_DEMO_BIN="$CARGO_TARGET_DIR/debug/yauth-demo" RUST_LOG="${RUST_LOG:-warn}" \
  node demo/browser/oidc-relying-party.mjs
YAUTH_DEMO_BIN="$CARGO_TARGET_DIR/debug/yauth-demo" RUST_LOG="${RUST_LOG:-warn}" \
  node demo/browser/oidc-provider-sign-in.mjs
