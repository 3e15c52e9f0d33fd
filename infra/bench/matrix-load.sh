#!/usr/bin/env bash
# Load benchmark of the coordinator's matrix: a prefecture of 60 demo bodies on PostgreSQL, the
# release `taisho serve`, `oha` with 32 concurrent clients for 20 s; `/healthz` under the same load is
# the baseline. Prints throughput, p50 and p99 for both and the ratios.
#
#   infra/bench/matrix-load.sh                 # defaults below
#   CONCURRENCY=32 DURATION=20s MEMBERS=60 SKIP_BUILD=1 infra/bench/matrix-load.sh
#   TAISHO_BIN=target/debug/taisho MEMBERS=6 DURATION=3s infra/bench/matrix-load.sh   # smoke run
#
# Needs PostgreSQL at 127.0.0.1:5432 (user postgres, trust auth), psql, curl and jq. Installs oha
# from crates.io into target/tools when it is missing (no other download).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PG=${TAISHO_BENCH_PG:-postgres://postgres@127.0.0.1:5432}
PG_HOST=${PG#*@}
MEMBERS=${MEMBERS:-60}
CONCURRENCY=${CONCURRENCY:-32}
DURATION=${DURATION:-20s}
WORKERS=${WORKERS:-2}            # analysis worker threads while the demo policies are analysed
READY_TIMEOUT=${READY_TIMEOUT:-900}
TOOLS="$ROOT/target/tools"
TAISHO=${TAISHO_BIN:-$ROOT/target/release/taisho}   # TAISHO_BIN: another build (smoke runs)

say() { printf 'matrix-load: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

for tool in psql curl jq; do
    command -v "$tool" >/dev/null || die "$tool is required"
done

# --- oha (crates.io only)
OHA=$(command -v oha || true)
if [[ -z "$OHA" ]]; then
    OHA="$TOOLS/bin/oha"
    if [[ ! -x "$OHA" ]]; then
        say "installing oha into $TOOLS (cargo install oha --locked)"
        cargo install oha --locked --root "$TOOLS" >&2
    fi
fi

# --- the release binary
if [[ "${SKIP_BUILD:-0}" != 1 && -z "${TAISHO_BIN:-}" ]]; then
    say "building the release taisho binary"
    (cd "$ROOT" && cargo build --release -p taisho-server --bin taisho >&2)
fi
[[ -x "$TAISHO" ]] || die "$TAISHO missing (build it or unset SKIP_BUILD)"

# --- a fresh database, the server, cleanup on exit
DB="taisho_bench_$$_$RANDOM"
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ "${KEEP_DB:-0}" == 1 ]]; then
        say "kept database $DB"
    else
        psql "$PG/postgres" -qAt -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

psql "$PG/postgres" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB" >/dev/null
"$TAISHO" migrate --database-url "$PG/$DB" >"$WORK/migrate.log" 2>&1 || { cat "$WORK/migrate.log" >&2; die "migration failed"; }
APP_URL="postgres://taisho_app@$PG_HOST/$DB${APP_URL_QUERY:-}"
SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

# Rate limits off: 32 clients share one key and one IP.
cat >"$WORK/taisho.toml" <<EOF
[rate_limits]
per_ip = { rate = 0, burst = 1 }
per_key = { rate = 0, burst = 1 }
per_org = { rate = 0, burst = 1 }
EOF

say "starting taisho serve on $DB with $MEMBERS demo bodies"
TAISHO_KEY_SECRET="$SECRET" TAISHO_DEMO_MEMBERS="$MEMBERS" RUST_LOG="${RUST_LOG:-warn}" \
    "$TAISHO" serve --listen 127.0.0.1:0 --demo --threads "$WORKERS" \
    --database-url "$APP_URL" --data-dir "$WORK/data" --config "$WORK/taisho.toml" \
    >"$WORK/stdout" 2>"$WORK/stderr" &
SERVER_PID=$!

BASE=""
for _ in $(seq 1 600); do
    BASE=$(sed -n 's/.*taisho: listening on \(http:\/\/[^ ]*\).*/\1/p' "$WORK/stderr" | head -n1)
    [[ -n "$BASE" ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/stderr" >&2; die "taisho serve exited"; }
    sleep 0.5
done
[[ -n "$BASE" ]] || die "no listening line from taisho serve"
say "listening on $BASE"

# --- credentials: an API key of the prefecture; the coordinator's session when a key does not
# see the members (the matrix is the coordinator's view).
KEY=$(TAISHO_KEY_SECRET="$SECRET" "$TAISHO" keys create --org "デモ県" --name bench --role viewer \
    --database-url "$APP_URL" --data-dir "$WORK/data" | tail -n1)
AUTH="Authorization: Bearer $KEY"

gql() { # query-json → response
    curl -sS -X POST "$BASE/graphql" -H "$AUTH" -H 'Content-Type: application/json' --data-binary "$1"
}

PREF=$(gql '{"query":"{ viewer { actingOrganisation { id } } }"}' | jq -r '.data.viewer.actingOrganisation.id')
[[ -n "$PREF" && "$PREF" != null ]] || die "no prefecture id for the key"
MATRIX_QUERY='query($p: ID) { matrix(prefecture: $p) { edition items { id coverage } rows(first: 100) { totalCount edges { node { organisation { id name } coverage statuses } } } } }'
# LOAD_QUERY: another operation to put under load (same $p variable), e.g. to split the cost.
LOAD_BODY=$(jq -cn --arg q "${LOAD_QUERY:-$MATRIX_QUERY}" --arg p "$PREF" '{query: $q, variables: {p: $p}}')
BODY=$(jq -cn --arg q "$MATRIX_QUERY" --arg p "$PREF" '{query: $q, variables: {p: $p}}')

rows() { # "<rows> <rows fully analysed>"
    gql "$BODY" | jq -r '(.data.matrix.rows.edges // []) as $e
        | [($e | length), ([$e[].node.statuses | select(test("-") | not)] | length)] | @tsv'
}

read -r total _ <<<"$(rows)"
if [[ "${total:-0}" -lt "$MEMBERS" ]]; then
    say "the prefecture key sees $total rows; using the coordinator's session instead"
    EMAIL=$(awk '/password:/ && /coordinator/ {for (i = 1; i < NF; i++) if ($(i+1) == "password:") print $i}' "$WORK/stdout" | head -n1)
    PASS=$(awk '/password:/ && /coordinator/ {for (i = 1; i < NF; i++) if ($i == "password:") print $(i+1)}' "$WORK/stdout" | head -n1)
    TOKEN=$(curl -sS -D - -o /dev/null -X POST "$BASE/auth/sign-in" -H 'Content-Type: application/json' \
        --data-binary "$(jq -cn --arg e "$EMAIL" --arg p "$PASS" '{email: $e, password: $p}')" |
        sed -n 's/^[Ss]et-[Cc]ookie: taisho_session=\([^;]*\).*/\1/p' | tr -d '\r')
    [[ -n "$TOKEN" ]] || die "coordinator sign-in failed"
    AUTH="Cookie: taisho_session=$TOKEN"
fi

say "waiting for every analysis (up to ${READY_TIMEOUT}s)"
start=$(date +%s)
while :; do
    read -r total done_rows <<<"$(rows)"
    [[ "${total:-0}" -ge "$MEMBERS" && "$done_rows" -eq "$total" ]] && break
    (( $(date +%s) - start > READY_TIMEOUT )) && die "only $done_rows of $total bodies analysed"
    sleep 2
done
say "$total bodies analysed in $(( $(date +%s) - start )) s"

# --- the load
run_oha() { # name, then oha arguments
    local name=$1; shift
    "$OHA" --no-tui --output-format json -c "$CONCURRENCY" -z "$DURATION" "$@" >"$WORK/$name.json"
    jq -r --arg n "$name" '[$n, .summary.requestsPerSec, .latencyPercentiles.p50 * 1000, .latencyPercentiles.p99 * 1000, ((.statusCodeDistribution // {}) | to_entries | map("\(.key):\(.value)") | join(","))] | @tsv' "$WORK/$name.json"
}

say "oha -c $CONCURRENCY -z $DURATION: /healthz (baseline), then the matrix"
HEALTH=$(run_oha healthz "$BASE/healthz")
# Warm-up, not measured: the database pool grows to its size and each connection prepares its
# statements, as a long-running server's have.
WARMUP=${WARMUP:-3s}
if [[ "$WARMUP" != 0 && "$WARMUP" != 0s ]]; then
    "$OHA" --no-tui --output-format json -c "$CONCURRENCY" -z "$WARMUP" -m POST -H "$AUTH" \
        -H 'Content-Type: application/json' -d "$LOAD_BODY" "$BASE/graphql" >/dev/null
fi
# PERF_DATA=<file>: record a system-wide profile (server and PostgreSQL) during the matrix run.
PERF_PID=""
if [[ -n "${PERF_DATA:-}" ]]; then
    perf record -a -g -o "$PERF_DATA" >/dev/null 2>&1 &
    PERF_PID=$!
fi
MATRIX=$(run_oha matrix -m POST -H "$AUTH" -H 'Content-Type: application/json' -d "$LOAD_BODY" "$BASE/graphql")
if [[ -n "$PERF_PID" ]]; then
    kill -INT "$PERF_PID"; wait "$PERF_PID" || true
fi

printf '\n%-8s %12s %10s %10s  %s\n' target 'req/s' 'p50 ms' 'p99 ms' statuses
printf '%-8s %12.1f %10.2f %10.2f  %s\n' $HEALTH
printf '%-8s %12.1f %10.2f %10.2f  %s\n' $MATRIX
read -r _ hr hp50 hp99 _ <<<"$HEALTH"
read -r _ mr mp50 mp99 _ <<<"$MATRIX"
awk -v hr="$hr" -v mr="$mr" -v hp="$hp99" -v mp="$mp99" -v m="$total" 'BEGIN {
    printf "\nmatrix of %d bodies: %.1f%% of the /healthz throughput, p99 %.1fx the baseline (target p99 < 50 ms: %s)\n",
        m, 100 * mr / hr, mp / hp, (mp < 50 ? "met" : "NOT met")
}'
