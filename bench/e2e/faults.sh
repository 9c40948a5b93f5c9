#!/usr/bin/env bash
# Wall time of one `athena-connector debug` sync of a FAULT_ROWS-row table per result fetcher,
# fault-free and at 35% mixed faults (--throttle-rate 0.2 --error-rate 0.1 --drop-rate 0.05) for
# a few --fault-seed values. Not a pass/fail test: one line per run (exit code, seconds, rows, the
# sync's "Retries:" line).
#
# Usage: bench/e2e/faults.sh <build dir>
# Environment: FAULT_ROWS (default 300000), FAULT_SEEDS (default "1 2 3"), FAULT_FETCHERS
#   (default "api s3 unload auto"), FAULT_ARGS (default the 35% mix above), FAULT_BASE_ARGS
#   (athena-local options of every run, fault-free included; e.g. "--latency-ms 50" for
#   Athena-like response times; default none), FAULT_RETRY_MODE (the connector's retry_mode,
#   default adaptive), FAULT_LOG_LEVEL
#   (e.g. debug: each run's connector log is then printed after its line).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(cd "${1:-${ROOT}/build/Release}" && pwd)"
ROWS="${FAULT_ROWS:-300000}"
SEEDS="${FAULT_SEEDS:-1 2 3}"
FETCHERS="${FAULT_FETCHERS:-api s3 unload auto}"
FAULTS="${FAULT_ARGS:---throttle-rate 0.2 --error-rate 0.1 --drop-rate 0.05}"
CONNECTOR="${BUILD}/athena-connector"
ATHENA_LOCAL="${BUILD}/bin/athena-local"
WORK="$(mktemp -d /tmp/fault-bench.XXXXXX)"
trap 'rm -rf "${WORK}"' EXIT

mkdir -p "${WORK}/seed"
cat > "${WORK}/seed/bench_rows.sql" <<SQL
CREATE TABLE "default".bench_rows AS
SELECT CAST(i AS BIGINT) AS id,
  CASE WHEN i % 7 = 0 THEN NULL ELSE 'row "' || CAST(i AS VARCHAR) || '", with comma' END AS s,
  CAST(i AS DOUBLE) / 8 AS d
FROM range(1, ${ROWS} + 1) AS t(i);
SQL

run() {  # fetcher, athena-local fault arguments
  local dir; dir="$(mktemp -d "${WORK}/run.XXXXXX")"
  # shellcheck disable=SC2086
  "${ATHENA_LOCAL}" --port 0 --port-file "${dir}/port" --data-dir "${dir}/data" \
    --seed "${WORK}/seed" ${FAULT_BASE_ARGS:-} $2 --log-level warn > "${dir}/athena-local.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do [ -s "${dir}/port" ] && break; sleep 0.1; done
  local port; port="$(cat "${dir}/port")"
  cat > "${dir}/configuration.json" <<JSON
{"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1",
 "database_name": "default", "s3_staging_dir": "s3://athena-results/staging/",
 "athena_endpoint_url": "http://127.0.0.1:${port}", "s3_endpoint_url": "http://127.0.0.1:${port}",
 "source_table": "bench_rows", "destination_table": "bench_rows", "primary_key": "id",
 "result_fetcher": "$1", "retry_mode": "${FAULT_RETRY_MODE:-adaptive}"}
JSON
  local start end rc=0
  start="$(date +%s.%N)"
  "${CONNECTOR}" --log-level "${FAULT_LOG_LEVEL:-info}" debug --configuration "${dir}/configuration.json" --working-dir "${dir}/files" \
    --no-progress > "${dir}/out.log" 2> "${dir}/err.log" || rc=$?
  end="$(date +%s.%N)"
  kill "${pid}"; wait "${pid}" 2> /dev/null || true
  printf '%-7s %-22s exit %d  %6.1f s  %s | %s\n' "$1" "${3}" "${rc}" \
    "$(echo "${end} - ${start}" | bc)" "$(grep -o 'Synced [0-9]* rows' "${dir}/out.log" || true)" \
    "$(grep -m1 -e '^Retries' -e 'FAILED' "${dir}/out.log" | cut -c1-160 || true)"
  if [ -n "${FAULT_LOG_LEVEL:-}" ]; then sed 's/^/    /' "${dir}/err.log"; fi
  rm -rf "${dir}"
}

for fetcher in ${FETCHERS}; do
  run "${fetcher}" "" "fault-free"
  for seed in ${SEEDS}; do run "${fetcher}" "${FAULTS} --fault-seed ${seed}" "faults, seed ${seed}"; done
done
