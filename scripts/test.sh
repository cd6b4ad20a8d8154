#!/usr/bin/env bash
# Runs every test of the project against the real PostgreSQL, MariaDB and SQLite on this
# machine: the workspace (unit, snapshot, CLI and database tests, the conformance suite of
# all ten backends, generated-code freshness), the `yauth` crate with every feature, the
# toasty models crate, the diesel-libsql and toasty backends and the fixture application,
# which have their own lockfiles (see ARCHITECTURE.md), the browser tests and the
# TypeScript packages.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/services.sh

# One target folder outside the checkout, shared with .ci/run: a developer's test run warms
# the CI run that follows on the same machine (and a fresh clone does not rebuild from zero).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/yauth-ci-target}"

export YAUTH_TEST_PG_URL="${YAUTH_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432}"
export YAUTH_TEST_MYSQL_URL="${YAUTH_TEST_MYSQL_URL:-mysql://root@127.0.0.1:3306}"
# insta never writes snapshots here: a missing or changed snapshot fails the run.
export INSTA_UPDATE=no

# Stale generated code first, with a readable diff.
cargo run -q --locked -p generated-check
cargo test --workspace --locked
cargo test --locked -p yauth --features full,all-backends
# Shares the workspace's target folder so that common dependencies build once.
cargo test --locked --manifest-path tests/toasty-models/Cargo.toml
# diesel over libSQL: its own lockfile and its own test binary (libSQL's SQLite must not
# share a process with the SQLite of sqlx or diesel's driver).
cargo test --locked --manifest-path runtime/backends/diesel-libsql/Cargo.toml
# The toasty backend: its own lockfile (toasty's SQLite driver links another libsqlite3-sys),
# one conformance binary per database (PostgreSQL, MariaDB, SQLite).
cargo test --locked --all-features --manifest-path runtime/backends/toasty/Cargo.toml
# An application outside the workspace (own lockfile, tables prefixed `auth_`): its
# migrations and generated repositories are exactly what `cargo yauth generate` writes, and
# the conformance suite and an HTTP flow pass on each generated module.
for config in tests/app-fixture/yauth-*.toml; do
    cargo run -q --locked -p cargo-yauth -- yauth -f "$config" generate --check
done
cargo test --locked --manifest-path tests/app-fixture/Cargo.toml
# The demo page in Debian's Chromium with a virtual authenticator: passkeys and TOTP as a
# person meets them (installs chromium and the npm packages it needs).
scripts/browser-test.sh
# The TypeScript client, the Vue and Solid packages, and both example apps in Chromium
# against the demo (installs its npm packages; see ts/README.md).
scripts/ts-test.sh
