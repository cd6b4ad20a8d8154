#!/usr/bin/env bash
# Writes (or, with --check, verifies) the committed `.sqlx` offline data of the sqlx backend
# crates. It creates scratch databases on the local PostgreSQL and MariaDB and a SQLite file,
# applies the full schema to them, and builds each sqlx crate with its own URL variable set
# (see the crate's sqlx.toml), so that sqlx's macros check every query against a live
# database and write one JSON file per query to SQLX_OFFLINE_DIR.
#
#   scripts/sqlx-prepare.sh          rewrite runtime/backends/sqlx-*/.sqlx
#   scripts/sqlx-prepare.sh --check  fail when the committed data differs from the databases'
set -euo pipefail
cd "$(dirname "$0")/.."

mode=write
[ "${1:-}" = "--check" ] && mode=check

db=yauth_sqlx_offline
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo run -q --locked -p generated-check -- sql postgres >"$work/pg.sql"
cargo run -q --locked -p generated-check -- sql mysql >"$work/mysql.sql"
cargo run -q --locked -p generated-check -- sql sqlite >"$work/sqlite.sql"

psql -q -h 127.0.0.1 -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
psql -q -h 127.0.0.1 -U postgres -d "$db" -v ON_ERROR_STOP=1 -f "$work/pg.sql" >/dev/null
mysql -h 127.0.0.1 -u root -e "DROP DATABASE IF EXISTS $db; CREATE DATABASE $db"
mysql -h 127.0.0.1 -u root "$db" <"$work/mysql.sql"
sqlite3 "$work/offline.db" <"$work/sqlite.sql"

status=0
for spec in "pg|YAUTH_SQLX_PG_URL|postgres://postgres@127.0.0.1:5432/$db" \
    "mysql|YAUTH_SQLX_MYSQL_URL|mysql://root@127.0.0.1:3306/$db" \
    "sqlite|YAUTH_SQLX_SQLITE_URL|sqlite://$work/offline.db"; do
    IFS='|' read -r name var url <<<"$spec"
    crate=runtime/backends/sqlx-$name
    out="$work/out-$name"
    mkdir -p "$out"
    # The macros only run when the crate is compiled: make sure it is.
    touch "$crate/src/lib.rs"
    env "$var=$url" SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$out" \
        cargo check -q --locked -p "yauth-backend-sqlx-$name"
    if [ "$mode" = write ]; then
        rm -rf "$crate/.sqlx"
        cp -r "$out" "$crate/.sqlx"
        echo "wrote $crate/.sqlx ($(ls "$crate/.sqlx" | wc -l) queries)"
    elif ! diff -r "$out" "$crate/.sqlx" >"$work/diff-$name"; then
        echo "error: $crate/.sqlx is stale; run scripts/sqlx-prepare.sh" >&2
        head -50 "$work/diff-$name" >&2
        status=1
    else
        echo "$crate/.sqlx matches the live databases ($(ls "$out" | wc -l) queries)"
    fi
    touch "$crate/src/lib.rs"
done

psql -q -h 127.0.0.1 -U postgres -d postgres -c "DROP DATABASE IF EXISTS $db"
mysql -h 127.0.0.1 -u root -e "DROP DATABASE IF EXISTS $db"
exit $status
