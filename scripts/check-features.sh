#!/usr/bin/env bash
# Feature hygiene of the `yauth` crate: every backend feature compiles alone, each backend
# crate compiles on its own, `full` (every plugin, no backend) and the defaults (everything
# together is the clippy step of .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

backends=(memory diesel-pg diesel-mysql diesel-sqlite sqlx-pg sqlx-mysql sqlx-sqlite seaorm-pg seaorm-mysql seaorm-sqlite)

for b in "${backends[@]}"; do
    echo "== yauth --no-default-features --features $b-backend"
    cargo check -q --locked -p yauth --no-default-features --features "$b-backend"
    echo "== yauth-backend-$b alone"
    cargo check -q --locked -p "yauth-backend-$b"
done
echo "== yauth --no-default-features --features full"
cargo check -q --locked -p yauth --no-default-features --features full
echo "== yauth --no-default-features --features redis,memory-backend"
cargo check -q --locked -p yauth --no-default-features --features redis,memory-backend
echo "== yauth --no-default-features --features telemetry,memory-backend"
cargo check -q --locked -p yauth --no-default-features --features telemetry,memory-backend
echo "== yauth (defaults: email-password, diesel-pg-backend)"
cargo check -q --locked -p yauth
# Everything together (`full,all-backends`, every target) is compiled by the clippy step of
# .ci/run, so it is not checked twice here.
echo "every feature set compiles"
