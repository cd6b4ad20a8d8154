#!/usr/bin/env bash
# Fuzzes the demo's HTTP API with schemathesis against the committed openapi.json: every
# operation, signed in and without credentials; fails on any 5xx and on any answer the
# document does not allow (status code, content type, headers, body schema). See
# docs/testing.md for what is checked and why.
#
#   scripts/fuzz.sh                   build the demo, fuzz it, print `fuzz: PASS|FAIL …`
#
# Knobs (environment): YAUTH_FUZZ_EXAMPLES (fuzzing-phase cases per operation and run,
# default 100), YAUTH_FUZZ_SEED (replay a run; every run prints its seed),
# YAUTH_FUZZ_TIMEOUT (seconds for all schemathesis runs together, default 420; a run that
# reaches it is stopped and the script fails),
# YAUTH_FUZZ_DATABASE_URL (the demo's --database-url, default `memory`; e.g.
# `postgres://postgres@127.0.0.1/fuzz` for an existing database), YAUTH_FUZZ_DEMO_BIN (fuzz
# this demo binary instead of building one), YAUTH_FUZZ_OUT (reports and the demo log;
# default $CARGO_TARGET_DIR/fuzz), YAUTH_FUZZ_ST_ARGS (more `st run` arguments for every run,
# split on spaces: e.g. `--mode positive` or `--no-shrink`).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/yauth-ci-target}"
examples="${YAUTH_FUZZ_EXAMPLES:-100}"
database_url="${YAUTH_FUZZ_DATABASE_URL:-memory}"
budget="${YAUTH_FUZZ_TIMEOUT:-420}"
min_cases=3000
out="${YAUTH_FUZZ_OUT:-$CARGO_TARGET_DIR/fuzz}"
venv="$HOME/.cache/yauth-fuzz-venv"
requirements="$repo/scripts/fuzz-requirements.txt"
started=$SECONDS

say() { echo "fuzz: $*"; }

# --- schemathesis, in a virtualenv of its own, at the versions of fuzz-requirements.txt ---
python_ok() { "$1" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; }
find_python() {
    local candidate
    for candidate in python3 python3.13 python3.12 python3.11 /usr/bin/python3; do
        if command -v "$candidate" >/dev/null && python_ok "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}
stamp="$venv/.requirements"
if ! cmp -s "$requirements" "$stamp" || ! "$venv/bin/st" --version >/dev/null 2>&1; then
    if ! python=$(find_python); then
        # Debian ships venv and ensurepip apart from python3.
        say "no Python >= 3.11 with venv; installing python3 and python3-venv"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq python3 python3-venv >/dev/null
        python=$(find_python) || { say "FAIL: no usable Python >= 3.11 after apt-get"; exit 1; }
    fi
    say "creating $venv with $("$python" --version)"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-virtualenv \
        -r "$requirements"
    cp "$requirements" "$stamp"
fi
st="$venv/bin/st"
py="$venv/bin/python"
say "$("$st" --version)"

# --- the demo ---
if [[ -n "${YAUTH_FUZZ_DEMO_BIN:-}" ]]; then
    demo_bin="$YAUTH_FUZZ_DEMO_BIN"
else
    # Built the way scripts/test.sh's `cargo test --workspace` builds it (the demo's
    # integration test needs the binary), so after the tests this compiles nothing.
    # `cargo build -p yauth-demo` resolves features without the workspace's
    # dev-dependencies (tokio's `process`, sqlx's `rust_decimal`, …) and would rebuild
    # tokio, sqlx and everything above them: minutes on a 2-core machine.
    cargo test --workspace --locked --no-run --test http
    demo_bin="$CARGO_TARGET_DIR/debug/yauth-demo"
fi
# Run the binary itself, not `cargo run`: the trap below must stop the server, not cargo.

rm -rf "$out"
mkdir -p "$out"
# Whatever happens (failure, Ctrl-C, CI cancelling), stop what this script started: the
# schemathesis run under way and the demo. Children run in the background and are waited
# for, so that a signal reaches these traps at once.
demo_pid=""
st_pid=""
stop() {
    if [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; then
        kill "$1" 2>/dev/null || true
        wait "$1" 2>/dev/null || true
    fi
}
cleanup() {
    stop "$st_pid"
    stop "$demo_pid"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The signed-in user, an admin (`--admin-email`), so the admin routes are fuzzed past the
# role check.
email="fuzz-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')@example.com"
password="Fz-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')-q"

# Memory backend by default (nothing to set up), no HIBP (no traffic leaves 127.0.0.1),
# plain-http cookies, and port 0: the demo prints the port it bound.
NO_COLOR=1 RUST_LOG="${RUST_LOG:-info,sqlx=warn}" "$demo_bin" --database-url "$database_url" \
    --addr 127.0.0.1:0 --no-hibp --insecure-cookies --admin-email "$email" >"$out/demo.log" 2>&1 &
demo_pid=$!
origin=""
for _ in $(seq 1 300); do
    origin=$(sed -n 's#.*yauth demo on \(http://127\.0\.0\.1:[0-9]*\)/.*#\1#p' "$out/demo.log" | head -n 1)
    [[ -n "$origin" ]] && break
    if ! kill -0 "$demo_pid" 2>/dev/null; then
        say "FAIL: the demo exited at start:"
        cat "$out/demo.log"
        exit 1
    fi
    sleep 0.2
done
if [[ -z "$origin" ]]; then
    say "FAIL: the demo did not say where it listens within 60s:"
    cat "$out/demo.log"
    exit 1
fi
base="$origin/api/auth"
say "demo on $origin, database $database_url (log: $out/demo.log)"

# --- a signed-in admin: sign up by magic link, set a password, log in, keep the cookie ---
extra=()
# The admin signs in by magic link (the links are in the demo's log: no --smtp-url), which
# also creates the account; then sets a password through a reset link, so that the fuzzed
# bodies can carry it.
log_token() {
    local page=$1 seen=$2 token=""
    for _ in $(seq 1 100); do
        token=$(grep -o "$page?token=[A-Za-z0-9_-]*" "$out/demo.log" | sed -n "$((seen + 1))p" | cut -d= -f2 || true)
        [[ -n "$token" ]] && break
        sleep 0.1
    done
    echo "$token"
}
post_json() {
    curl -sS -o "$out/step.body" -w '%{http_code}' -X POST "$base/$1" -H 'Content-Type: application/json' --data-binary "$2"
}
for step in "magic-link/send {\"email\":\"$email\"}" \
    "magic-link/verify TOKEN:magic-link" \
    "forgot-password {\"email\":\"$email\"}" \
    "reset-password TOKEN:reset-password"; do
    route=${step%% *}
    body=${step#* }
    if [[ "$body" == TOKEN:* ]]; then
        token=$(log_token "${body#TOKEN:}" 0)
        if [[ "$route" == reset-password ]]; then
            body="{\"token\":\"$token\",\"password\":\"$password\"}"
        else
            body="{\"token\":\"$token\"}"
        fi
    fi
    status=$(post_json "$route" "$body")
    if [[ "$status" != 200 ]]; then
        say "FAIL: $route answered $status: $(cat "$out/step.body")"
        exit 1
    fi
done
status=$(curl -sS -D "$out/login.head" -o "$out/login.body" -w '%{http_code}' -X POST "$base/login" \
    -H 'Content-Type: application/json' --data-binary "{\"email\":\"$email\",\"password\":\"$password\"}")
cookie=$("$py" scripts/fuzz_report.py set-cookie "$out/login.head")
if [[ "$status" != 200 || -z "$cookie" ]]; then
    say "FAIL: login answered $status without a session cookie: $(cat "$out/login.body")"
    exit 1
fi
cookie_name="${cookie%%=*}"
doc_cookie=$("$py" scripts/fuzz_report.py cookie-name openapi.json)
doc="$repo/openapi.json"
if [[ "$cookie_name" != "$doc_cookie" ]]; then
    # The document describes the default configuration (`__Host-` when cookies are Secure);
    # the demo on plain http names its cookie otherwise. Fuzz a copy that names the cookie
    # this server uses, or schemathesis would put credentials where the server never looks.
    say "openapi.json names the session cookie $doc_cookie; this server uses $cookie_name (fuzzing with that)"
    doc="$out/openapi.json"
    "$py" scripts/fuzz_report.py with-cookie-name openapi.json "$cookie_name" "$doc"
fi
session_ok() {
    [[ $(curl -sS -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base/session") == 200 ]]
}
if ! session_ok; then
    say "FAIL: GET /session does not accept the cookie that login set ($cookie_name)"
    exit 1
fi
if ! curl -sS -H "Cookie: $cookie" "$base/session" | grep -q '"role":"admin"'; then
    say "FAIL: the --admin-email account did not become an admin once verified"
    exit 1
fi
say "signed in as $email, an admin (cookie $cookie_name)"

# --- the runs ---
config="$out/schemathesis.toml"
repeat() { local s="" i; for ((i = 0; i < $2; i++)); do s+=$1; done; printf '%s' "$s"; }
# A 254-character address (64 + 1 + 189), the longest a mailbox may be.
long_email="$(repeat a 64)@$(repeat b 63).$(repeat c 63).$(repeat e 57).com"
cat >"$config" <<EOF
# Written by scripts/fuzz.sh. No state carried between runs, and no automatic sign-up (the
# script signs in itself).
[cache]
enabled = false

[auth]
auto-signup = false

# A schema-violating body must be refused. Schemathesis's own list of refusals lacks 413, which
# is how every route refuses a body over 16 KiB before reading it (documented on each one).
[checks.negative_data_rejection]
expected-statuses = [400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5XX"]

# The document says only "string" for these fields, so purely random strings seldom get past
# the email and password checks. A share of the values comes from these lists instead: the
# signed-in account (so change-password, login and forgot-password reach their real paths),
# edge-case addresses, passwords and names.
[dictionaries.emails]
values = [
  "$email", "${email^^}", " $email ", "$long_email", "a$long_email",
  "x@example.com", "a@b", "\"quoted\"@example.com", "<x@example.com>", "x@exa\u202emple.com",
  "x\u0000@example.com", "x@example.com\r\nBcc: y@example.com", "Ünïcode@bücher.example",
  "x@xn--bcher-kva.example", "x@[127.0.0.1]", "x@example.com.", "@example.com", "x@",
]
[dictionaries.passwords]
values = [
  "$password", "Xk9#mP2\$vL5nQ8wR-fuzz", "password", "short", "$(repeat Kq7 43)",
  "$(repeat Zr5 400)", "ｐａｓｓｗｏｒｄ１２３４５", "pässwörd-ℌ-ﬁ-12345", "\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000\u0000",
  "        ", "\u202eXk9#mP2vL5nQ8wR",
]
[dictionaries.names]
values = ["Fuzz", "\u202eevil", "a\u200bb", "\u0000", "$(repeat n 300)", " ", "", "🦀 Ferris", "\r\n"]

[parameters]
"body.email" = { dictionary = "emails", probability = 0.3 }
"body.password" = { dictionary = "passwords", probability = 0.3 }
"body.current_password" = { dictionary = "passwords", probability = 0.3 }
"body.new_password" = { dictionary = "passwords", probability = 0.3 }
"body.display_name" = { dictionary = "names", probability = 0.3 }
EOF

# Every check that can show an answer contradicting the document or a 5xx. Left off (see
# docs/testing.md): positive_data_acceptance (schema-valid bodies are still refused by rules
# the schema cannot state: password policy, unknown tokens, wrong passwords), and the checks
# that need stateful links or objects with ids (use_after_free, ensure_resource_availability,
# object_level_authorization); the document has neither.
checks=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance,negative_data_rejection,missing_required_header,unsupported_method,allow_header_conformance,ignored_auth

seed_args=()
[[ -n "${YAUTH_FUZZ_SEED:-}" ]] && seed_args=(--seed "$YAUTH_FUZZ_SEED")
read -r -a more_args <<<"${YAUTH_FUZZ_ST_ARGS:-}"

runs_started=$SECONDS
st_run() {
    st_run_with 2 "$@"
    # CPython 3.11 can fail an `ast.parse` that runs in two threads at once ("AST constructor
    # recursion depth mismatch"), which hypothesis does when it describes a filtered
    # strategy: a crash of the tool, not an answer of the server. Such a run is repeated once
    # with one worker, so that every operation is still fuzzed in full.
    if grep -q "AST constructor recursion depth mismatch" "$out/$1.log"; then
        say "schemathesis hit CPython's threaded-AST bug in run '$1'; running it again with one worker"
        rm -rf "${out:?}/$1"
        st_run_with 1 "$@"
    fi
}
st_run_with() {
    local workers=$1 label=$2
    shift 2
    local left=$((budget - (SECONDS - runs_started)))
    if ((left < 30)); then left=30; fi
    say "run '$label' (up to ${left}s)"
    local rc=0
    # On its limit, `timeout` interrupts schemathesis (SIGINT), which still writes its reports.
    (cd "$out" && exec timeout --signal=INT --kill-after=20 "$left" "$st" \
        --config-file "$config" run "$doc" --url "$base" \
        --phases examples,coverage,fuzzing --checks "$checks" \
        --max-examples "$examples" --continue-on-failure \
        --workers "$workers" --request-timeout 30 --generation-database none \
        --report json,ndjson --report-dir "$out/$label" --no-color \
        "${seed_args[@]}" "${more_args[@]}" "$@") >"$out/$label.log" 2>&1 </dev/null &
    st_pid=$!
    wait "$st_pid" || rc=$?
    st_pid=""
    # The full output (every failure with its curl line) stays in the log.
    tail -n 25 "$out/$label.log" | sed 's/^/    /'
    if [[ $rc == 124 || $rc == 137 ]]; then
        extra+=(--extra-failure "run '$label' was stopped: the runs took longer than ${budget}s")
    fi
    if ! kill -0 "$demo_pid" 2>/dev/null; then
        say "FAIL: the demo died during run '$label':"
        tail -n 50 "$out/demo.log"
        exit 1
    fi
}

# 1. Signed in: every operation but those that end the session for the others: logout, and
#    DELETE /sessions/{id} and /admin/sessions/{id} (schemathesis reuses ids from answers,
#    such as GET /sessions', so it finds the current session's id).
st_run session -H "Cookie: $cookie" --generation-with-security-parameters false \
    --exclude-operation-id logout --exclude-operation-id endSession \
    --exclude-operation-id adminEndSession
if ! session_ok; then
    extra+=(--extra-failure "the session ended during the signed-in run, so part of it ran signed out")
fi
# 2. Signed in, the operations that end a session: the first success ends it, later calls
#    must answer 401.
st_run logout -H "Cookie: $cookie" --generation-with-security-parameters false \
    --include-operation-id logout --include-operation-id endSession \
    --include-operation-id adminEndSession
# 3. No credentials: every operation; the cookie of the security scheme is left out or
#    filled with generated values. (Its 401s are the point, not a missing-auth warning.)
st_run anonymous --warnings missing_test_data,validation_mismatch,missing_deserializer,unsupported_regex,method_not_allowed,unmatched_filter,unresolvable_reference,low_valid_rate,rate_limited,timeout_units

# A 5xx logs its error chain; show what the server said about it.
if grep -qE ' ERROR |panicked' "$out/demo.log"; then
    say "the demo logged errors:"
    grep -E ' ERROR |panicked' "$out/demo.log" | head -n 20 | sed 's/^/    /'
fi

rc=0
"$py" scripts/fuzz_report.py summary --min-cases "$min_cases" --doc openapi.json "${extra[@]}" \
    session="$out/session" logout="$out/logout" anonymous="$out/anonymous" || rc=$?
say "took $((SECONDS - started))s; reports, logs and the demo log in $out"
exit "$rc"
