#!/usr/bin/env bash
# Wall time of one `athena-connector debug` sync of N tables for several max_parallel_tables
# values, against athena-local holding every query QUEUED/RUNNING for --query-delay-ms (Athena's
# query latency is what parallel tables hide). Not a pass/fail test: it prints one line per value.
#
# Usage: bench/e2e/parallel_tables.sh <build dir>
# Environment: PAR_TABLES (default 8), PAR_ROWS rows per table (default 50000), PAR_QUERY_DELAY_MS
#   (default 2000), PAR_LATENCY_MS per response (default 20), PAR_VALUES (default "1 4").
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$(cd "${1:-${ROOT}/build/Release}" && pwd)"
TABLES="${PAR_TABLES:-8}"
ROWS="${PAR_ROWS:-50000}"
QUERY_DELAY_MS="${PAR_QUERY_DELAY_MS:-2000}"
LATENCY_MS="${PAR_LATENCY_MS:-20}"
VALUES="${PAR_VALUES:-1 4}"
CONNECTOR="${BUILD}/athena-connector"
ATHENA_LOCAL="${BUILD}/bin/athena-local"
for binary in "${CONNECTOR}" "${ATHENA_LOCAL}"; do
  [[ -x "${binary}" ]] || { echo "bench: ${binary} is missing (build first)" >&2; exit 1; }
done

WORK="$(mktemp -d /tmp/ac-bench-par-XXXXXX)"
EMULATOR_PID=""
cleanup() {
  if [[ -n "${EMULATOR_PID}" ]]; then kill "${EMULATOR_PID}" 2>/dev/null || true; wait "${EMULATOR_PID}" 2>/dev/null || true; fi
  rm -rf "${WORK}"
}
trap cleanup EXIT

mkdir -p "${WORK}/seed"
tables_json="["
for ((k = 0; k < TABLES; k++)); do
  cat >> "${WORK}/seed/tables.sql" <<EOF
CREATE TABLE "default".par_${k} AS
SELECT CAST(i AS BIGINT) AS id, 'name ' || CAST(i AS VARCHAR) AS name, CAST(i AS DOUBLE) / 7 AS score
FROM range(1, ${ROWS} + 1) AS t(i);
EOF
  ((k > 0)) && tables_json+=","
  tables_json+="{\\\"source_table\\\":\\\"par_${k}\\\",\\\"primary_key\\\":\\\"id\\\"}"
done
tables_json+="]"

"${ATHENA_LOCAL}" --port 0 --port-file "${WORK}/port" --data-dir "${WORK}/data" \
  --seed "${WORK}/seed" --query-delay-ms "${QUERY_DELAY_MS}" --latency-ms "${LATENCY_MS}" \
  --workers 16 --log-level warn 2> "${WORK}/athena-local.log" &
EMULATOR_PID=$!
for _ in $(seq 1 600); do [[ -s "${WORK}/port" ]] && break; sleep 0.1; done
PORT="$(cat "${WORK}/port")"

echo "bench: ${TABLES} tables x ${ROWS} rows, query delay ${QUERY_DELAY_MS} ms, latency ${LATENCY_MS} ms"
for value in ${VALUES}; do
  dir="${WORK}/run-${value}"
  mkdir -p "${dir}"
  cat > "${dir}/configuration.json" <<EOF
{"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1",
 "database_name": "default", "s3_staging_dir": "s3://athena-results/staging/",
 "athena_endpoint_url": "http://127.0.0.1:${PORT}", "s3_endpoint_url": "http://127.0.0.1:${PORT}",
 "tables": "${tables_json}", "max_parallel_tables": "${value}"}
EOF
  start=$(date +%s.%N)
  "${CONNECTOR}" --log-level warn debug --configuration "${dir}/configuration.json" \
    --working-dir "${dir}/files" --no-progress > "${dir}/out.log" 2>&1 ||
    { cat "${dir}/out.log"; exit 1; }
  end=$(date +%s.%N)
  printf 'max_parallel_tables %-3s %6.2f s  (%s)\n' "${value}" \
    "$(awk -v a="${start}" -v b="${end}" 'BEGIN { print b - a }')" \
    "$(grep -m1 '^Synced' "${dir}/out.log")"
done
