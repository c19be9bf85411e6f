#!/usr/bin/env bash
# The whole benchmark of issue 7 in one run, on this machine's PostgreSQL and Redis:
# generates the national-scale data set, loads Q1–Q5 against the API, the raw-SQL floor and
# PostGraphile, counts statements, sends 100,000 renewal notices through the real worker
# against lettre's pooled floor, times the assignment solver, and writes docs/benchmarks.md
# with the raw CSV in bench/results/.
#
#   bench/run.sh                 # everything (about an hour on 2 cores)
#   BENCH_REUSE_DATA=1 bench/run.sh   # keep an already generated lsscp_bench
#
# Settings (environment): BENCH_PG (postgres://postgres@127.0.0.1:5432), BENCH_SECS (seconds
# per load step, 10), BENCH_RATES (fixed rates, 10,25,50,100,200), BENCH_SEARCH_MAX (the
# highest rate the search offers, 40000: on a fast host the floor passed loadbench's own
# default of 10,000 and showed only as "≥ 5120"), BENCH_HOLDERS (100000),
# BENCH_SCALE (1.0), BENCH_SEED (7).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

PG=${BENCH_PG:-postgres://postgres@127.0.0.1:5432}
DB=lsscp_bench
SECS=${BENCH_SECS:-10}
RATES=${BENCH_RATES:-10,25,50,100,200}
SEARCH_MAX=${BENCH_SEARCH_MAX:-40000}
HOLDERS=${BENCH_HOLDERS:-100000}
SCALE=${BENCH_SCALE:-1.0}
SEED=${BENCH_SEED:-7}
API_PORT=8300 FLOOR_PORT=8301 PGQL_PORT=8302
results=bench/results
mkdir -p "$results"
var=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$var"
}
trap cleanup EXIT

step() { printf '\n== %s (%s) ==\n' "$*" "$(date -u +%H:%M:%S)"; }
psql_admin() { psql "$PG/postgres" -v ON_ERROR_STOP=1 -qAt "$@"; }
wait_http() { # url, what
  for _ in $(seq 1 120); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.5
  done
  echo "$2 did not come up at $1" >&2
  return 1
}

step "prerequisites"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!docs/benchmarks.md' ':!bench/results' || echo ' (with uncommitted changes)')"
  echo "cpu: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "memory: $(free -g | awk '/^Mem:/ {print $2}') GiB"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r)"
  echo "postgresql: $(psql "$PG/postgres" -qAt -c 'SHOW server_version')"
  echo "redis: $(redis-server --version | awk '{print $3}' | sed 's/v=//')"
  echo "node: $(node --version)"
  echo "rustc: $(rustc --version)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  # The settings that differ from the defaults, so the report shows the command as run.
  settings=""
  for v in BENCH_PG BENCH_SECS BENCH_RATES BENCH_SEARCH_MAX BENCH_HOLDERS BENCH_SCALE BENCH_SEED BENCH_REUSE_DATA; do
    [ -n "${!v:-}" ] && settings+="$v=${!v} "
  done
  echo "command: ${settings}bench/run.sh"
} > "$results/machine.txt"
pg_isready -h 127.0.0.1 -p 5432
redis-cli -h 127.0.0.1 -p 6379 ping
if [ "$(psql_admin -c 'SHOW shared_preload_libraries')" != "pg_stat_statements" ]; then
  # Statement counts need the extension loaded at server start.
  psql_admin -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main restart
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
# The API and PostGraphile connect as roles of their own, so that pg_stat_statements can
# tell their statements apart.
psql_admin -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lsscp_api') THEN CREATE ROLE lsscp_api LOGIN SUPERUSER; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'pgql') THEN CREATE ROLE pgql LOGIN SUPERUSER; END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'floor') THEN CREATE ROLE floor LOGIN SUPERUSER; END IF;
END \$\$"

step "build"
cargo build --release --locked -p lsscp -p bench
(cd bench/postgraphile && npm ci --no-audit --no-fund --loglevel=error)

step "data set"
if [ -n "${BENCH_REUSE_DATA:-}" ] && [ "$(psql "$PG/$DB" -qAt -c 'SELECT COUNT(*) FROM candidacy' 2>/dev/null || echo 0)" -gt 0 ]; then
  echo "reusing $DB"
  [ -f "$results/generate.txt" ] || { echo "no $results/generate.txt from the run that generated it" >&2; exit 1; }
else
  psql_admin -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
  DATABASE_URL="$PG/$DB" target/release/generate --seed "$SEED" --scale "$SCALE" | tee "$results/generate.txt"
fi
psql "$PG/$DB" -qAt -c "SELECT pg_size_pretty(pg_database_size('$DB'))" > "$results/database-size.txt"

step "servers"
# Statements are counted per database role, so nothing else may be using these roles: a
# server stopped just before still answers its backlog of requests while it shuts down
# (this once added 900 statements to each of Q1's requests).
for i in $(seq 1 60); do
  busy=$(psql_admin -c "SELECT COUNT(*) FROM pg_stat_activity WHERE usename IN ('lsscp_api', 'pgql', 'floor')")
  [ "$busy" = 0 ] && break
  [ "$i" = 60 ] && { echo "other clients still connected as lsscp_api, pgql or floor: stop them first" >&2; exit 1; }
  sleep 1
done
# All three servers reach PostgreSQL the same way: over loopback without TLS. PostGraphile's
# driver (node-postgres) does not ask for TLS; sqlx, behind the API and the floor, would
# negotiate it with this server (sslmode=prefer) and pay for encryption on every statement.
db_as() { echo "${PG/postgres@/$1@}/$DB?sslmode=disable"; }
DATA_DIR="$var/api" DATABASE_URL=$(db_as lsscp_api) PORT=$API_PORT BIND_ADDR=127.0.0.1 \
  MIGRATE_ON_START=false RUST_LOG=warn target/release/lsscp api > "$var/api.log" 2>&1 &
api_pid=$!; pids+=("$api_pid")
DATABASE_URL=$(db_as floor) target/release/loadbench floor --bind 127.0.0.1:$FLOOR_PORT > "$var/floor.log" 2>&1 &
floor_pid=$!; pids+=("$floor_pid")
(cd bench/postgraphile && DATABASE_URL=$(db_as pgql) PORT=$PGQL_PORT NODE_ENV=production exec node server.js) > "$var/pgql.log" 2>&1 &
pgql_pid=$!; pids+=("$pgql_pid")
wait_http "http://127.0.0.1:$API_PORT/healthz" "the API"
wait_http "http://127.0.0.1:$FLOOR_PORT/q/5?p=x" "the floor"
for _ in $(seq 1 120); do
  curl -fsS -o /dev/null -H 'content-type: application/json' -d '{"query":"{__typename}"}' \
    "http://127.0.0.1:$PGQL_PORT/graphql" 2>/dev/null && break
  sleep 0.5
done

step "statements per request"
DATABASE_URL="$PG/$DB" target/release/loadbench statements \
  --api "http://127.0.0.1:$API_PORT/graphql" --api-role lsscp_api \
  --postgraphile "http://127.0.0.1:$PGQL_PORT/graphql" --postgraphile-role pgql \
  --floor "http://127.0.0.1:$FLOOR_PORT" --floor-role floor \
  --markdown "$results/statements.md"

step "queries Q1–Q5"
DATABASE_URL="$PG/$DB" target/release/loadbench run \
  --api "http://127.0.0.1:$API_PORT/graphql" --api-pid "$api_pid" \
  --floor "http://127.0.0.1:$FLOOR_PORT" --floor-pid "$floor_pid" \
  --postgraphile "http://127.0.0.1:$PGQL_PORT/graphql" --postgraphile-pid "$pgql_pid" \
  --rates "$RATES" --secs "$SECS" --search-max "$SEARCH_MAX" \
  --csv "$results/queries.csv" --markdown "$results/queries.md"

step "Q3 computed afresh"
# The API serves Q3 from a snapshot (docs/decisions.md, Reports); this is what one
# recomputation costs, asked by the officer whose session loadbench opened.
officer=$(psql "$PG/$DB" -qAt -c "SELECT account_id FROM account_role WHERE role = 'program_officer' ORDER BY account_id LIMIT 1")
{
  echo "| request | seconds |"
  echo "| --- | ---: |"
  for i in 1 2 3 4 5; do
    t=$(curl -sS -o "$var/fresh.json" -w '%{time_total}' -H "authorization: Bearer loadbench-officer-$officer" \
      -H 'content-type: application/json' \
      -d '{"query":"{ programmeStatistics(fresh: true) { asOf funnel { applied } monthly { month } } }"}' \
      "http://127.0.0.1:$API_PORT/graphql")
    if grep -q '"errors"' "$var/fresh.json"; then cat "$var/fresh.json" >&2; exit 1; fi
    echo "| $i | $t |"
  done
} > "$results/q3-fresh.md"

for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()

step "bulk path"
target/release/bulkbench --holders "$HOLDERS" --database-url "$PG/lsscp_bulk?sslmode=disable" \
  --csv "$results/bulk.csv" --markdown "$results/bulk.md"

step "assignment solver"
ASSIGNMENT_BENCH_NO_WRITE=1 cargo bench --locked -p domain --bench assignment 2>/dev/null > "$results/assignment.md"

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$results/machine.txt"

step "report"
python3 bench/report.py > docs/benchmarks.md
echo "wrote docs/benchmarks.md"
