#!/usr/bin/env bash
# Soak (`make bench-soak`): a multi-table sync through the gRPC path (the connector's server,
# `athena-connector --port N`, and Fivetran's side in another process, `e2e_bench_tool
# soak-client`) against athena-local injecting mixed faults, with the connector killed (SIGKILL)
# at random points and restarted; the client calls Update again from its last checkpoint each
# time, as Fivetran does. Repeated SOAK_RUNS times (fetchers taken in turn from SOAK_FETCHERS).
#
# Every run must end with exactly the rows of a fault-free run: per table the same keys and the
# same digest of their last rows (e2e_bench_tool soak-client). Reported per run: wall time
# against the fault-free run of the same fetcher, the connector's peak RSS (VmHWM of each
# connector process, the largest), the kills, the Update attempts, the rows delivered again
# (delivered - distinct: what the kills cost), and the retries of the last attempt's sync (its
# `Retries: ...` log line; a killed process never logs one). Exits non-zero when a run's rows
# differ or a run fails.
#
# Usage: bench/soak/run.sh <build dir>
# Environment: SOAK_RUNS (3), SOAK_SCALE (1 = 1.2 M rows in 6 tables), SOAK_KILLS (kills per run,
#   2), SOAK_FETCHERS ("s3 unload"), SOAK_FAULTS (28% mixed: throttle 0.15, error 0.08, drop 0.05),
#   SOAK_SEED (1: fault seeds and kill points), SOAK_CHECKPOINT (checkpoint_interval_rows, 50000),
#   BENCH_KEEP=1 keeps the work folder.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/../e2e/lib.sh"
bench_setup "${1:-}" soak
RUNS="${SOAK_RUNS:-3}"
SCALE="${SOAK_SCALE:-1}"
KILLS="${SOAK_KILLS:-2}"
read -r -a FETCHERS <<<"${SOAK_FETCHERS:-s3 unload}"
FAULTS="${SOAK_FAULTS:---throttle-rate 0.15 --error-rate 0.08 --drop-rate 0.05}"
SEED="${SOAK_SEED:-1}"
CHECKPOINT="${SOAK_CHECKPOINT:-50000}"
RANDOM="${SEED}"
CONNECTOR_PID=""
CLIENT_PID=""

soak_cleanup() {
  local pid
  for pid in "${CLIENT_PID}" "${CONNECTOR_PID}"; do
    if [[ -n "${pid}" ]]; then kill "${pid}" 2>/dev/null || true; wait "${pid}" 2>/dev/null || true; fi
  done
  bench_cleanup
}
trap soak_cleanup EXIT

# --- seed: database soak, 6 tables (1.2 M rows at scale 1), one of them without a key ----------
mkdir -p "${WORK}/seed"
"${PYTHON}" - "${SCALE}" >"${WORK}/seed/soak.sql" <<'PY'
import sys
scale = float(sys.argv[1])
n = lambda rows: max(1, int(rows * scale))
print("CREATE DATABASE soak;")
print("CREATE TABLE soak.orders AS SELECT CAST(i AS BIGINT) AS order_id, 'customer ' || (i %% 9973) AS customer, "
      "CAST(i %% 100000 AS DECIMAL(12,2)) / 100 AS amount, TIMESTAMP '2024-01-01 00:00:00' + i * INTERVAL 1 SECOND AS placed_at, "
      "CASE WHEN i %% 11 = 0 THEN NULL ELSE 'note \"' || i || '\", with comma' END AS note FROM range(1, %d) t(i);" % (n(500000) + 1))
print("CREATE TABLE soak.customers AS SELECT CAST(i AS BIGINT) AS customer_id, 'first_' || i AS first_name, "
      "CASE WHEN i %% 13 = 0 THEN NULL ELSE 'last \"' || i || '\"' END AS last_name, "
      "'user' || i || '@example.com' AS email FROM range(1, %d) t(i);" % (n(300000) + 1))
print("CREATE TABLE soak.events AS SELECT 'event-' || (i %% 50000) AS name, CAST(i AS BIGINT) AS seq, "
      "DATE '2020-01-01' + CAST(i %% 3000 AS INTEGER) AS day FROM range(1, %d) t(i);" % (n(200000) + 1))
print("CREATE TABLE soak.wide AS SELECT CAST(i AS INTEGER) AS id, i %% 2 = 0 AS flag, CAST(i AS DOUBLE) / 7 AS ratio, "
      "CAST(i %% 30000 AS SMALLINT) AS small, repeat('w', CAST(i %% 40 AS INTEGER)) AS pad, "
      "CASE WHEN i %% 5 = 0 THEN NULL ELSE CAST(i * 3 AS BIGINT) END AS maybe FROM range(1, %d) t(i);" % (n(100000) + 1))
print("CREATE TABLE soak.lines AS SELECT CAST(floor(i / 4) AS BIGINT) AS order_id, CAST(i %% 4 AS INTEGER) AS line_no, "
      "'sku-' || (i %% 777) AS sku FROM range(4, %d) t(i);" % (n(100000) + 4))
print("CREATE TABLE soak.tiny AS SELECT CAST(i AS BIGINT) AS id, 'tiny ' || i AS label FROM range(1, 1001) t(i);")
PY
PRIMARY_KEYS='{\"orders\": [\"order_id\"], \"customers\": [\"customer_id\"], \"wide\": [\"id\"], \"lines\": \"order_id,line_no\", \"tiny\": [\"id\"]}'

SEEDED=0
start_athena_local() {  # fault arguments...
  if [[ -n "${EMULATOR_PID}" ]]; then kill "${EMULATOR_PID}"; wait "${EMULATOR_PID}" 2>/dev/null || true; EMULATOR_PID=""; fi
  rm -f "${WORK}/port"
  local seed=()
  if [[ "${SEEDED}" == 0 ]]; then seed=(--seed "${WORK}/seed"); SEEDED=1; fi
  # shellcheck disable=SC2068
  bench_start_athena_local ${seed[@]+"${seed[@]}"} --workers 32 "$@"
}

free_port() { "${PYTHON}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

PEAK_KB=0
peak() {  # records the VmHWM of ${CONNECTOR_PID}
  local kb
  kb="$(awk '/^VmHWM/ {print $2}' "/proc/${CONNECTOR_PID}/status" 2>/dev/null || echo 0)"
  if [[ -n "${kb}" && "${kb}" -gt "${PEAK_KB}" ]]; then PEAK_KB="${kb}"; fi
}

start_connector() {  # <dir> <n>
  "${CONNECTOR}" --port "${PORT}" >"$1/connector.$2.log" 2>&1 &
  CONNECTOR_PID=$!
}

ms_now() { date +%s%3N; }

# Rows the state file's checkpoint covers: rows_synced of every table (in progress or complete).
rows_in_state() {
  local found
  found="$(grep -o '"rows_synced":[0-9]*' "$1" 2>/dev/null || true)"
  awk -F: '{s += $2} END {print s + 0}' <<<"${found}"
}

# run <label> <fetcher> <kills> <athena-local fault arguments>: sets RUN_WALL, RUN_DIR
run() {
  local label="$1" fetcher="$2" kills="$3"
  shift 3
  RUN_DIR="${WORK}/${label}"
  mkdir -p "${RUN_DIR}"
  start_athena_local "$@"
  PORT="$(free_port)"
  cat >"${RUN_DIR}/configuration.json" <<JSON
{"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1",
 "database_name": "soak", "s3_staging_dir": "s3://athena-results/staging/",
 "athena_endpoint_url": "${ENDPOINT}", "s3_endpoint_url": "${ENDPOINT}",
 "tables": "*", "primary_keys": "${PRIMARY_KEYS}", "result_fetcher": "${fetcher}",
 "checkpoint_interval_rows": "${CHECKPOINT}"}
JSON
  PEAK_KB=0
  local n=1 start
  start="$(ms_now)"
  start_connector "${RUN_DIR}" "${n}"
  "${TOOL}" soak-client "127.0.0.1:${PORT}" "${RUN_DIR}/configuration.json" "${RUN_DIR}/state.json" \
    >"${RUN_DIR}/client.out" 2>"${RUN_DIR}/client.err" &
  CLIENT_PID=$!
  local k=0 delay_ms until
  RUN_KILLS=0
  while [[ "${k}" -lt "${kills}" ]]; do
    k=$((k + 1))
    # A random point of the reads: once this connector process has checkpointed rows (the state
    # file follows every checkpoint), then 0-50% of the fault-free time of this fetcher later.
    # A kill while queries run would cost nothing to resume; this one costs what was read since
    # the last checkpoint.
    local at_start
    at_start="$(rows_in_state "${RUN_DIR}/state.json")"
    while [[ "$(rows_in_state "${RUN_DIR}/state.json")" -le "${at_start}" ]] && kill -0 "${CLIENT_PID}" 2>/dev/null; do sleep 0.05; peak; done
    delay_ms=$(( ${FAULT_FREE_MS[${fetcher}]:-5000} * (RANDOM % 51) / 100 ))
    until=$(( $(ms_now) + delay_ms ))
    while [[ "$(ms_now)" -lt "${until}" ]] && kill -0 "${CLIENT_PID}" 2>/dev/null; do sleep 0.05; peak; done
    kill -0 "${CLIENT_PID}" 2>/dev/null || break
    peak
    kill -9 "${CONNECTOR_PID}"
    wait "${CONNECTOR_PID}" 2>/dev/null || true
    RUN_KILLS=$((RUN_KILLS + 1))
    echo "kill ${RUN_KILLS}: ${delay_ms} ms after the first checkpoint of rows; the state covers $(rows_in_state "${RUN_DIR}/state.json") rows" >>"${RUN_DIR}/kills.txt"
    n=$((n + 1))
    start_connector "${RUN_DIR}" "${n}"
  done
  while kill -0 "${CLIENT_PID}" 2>/dev/null; do sleep 0.05; peak; done
  local rc=0
  wait "${CLIENT_PID}" || rc=$?
  CLIENT_PID=""
  RUN_WALL="$(( $(ms_now) - start ))"
  peak
  kill "${CONNECTOR_PID}" 2>/dev/null || true
  wait "${CONNECTOR_PID}" 2>/dev/null || true
  CONNECTOR_PID=""
  if [[ "${rc}" != 0 ]]; then
    echo "soak: ${label} FAILED (client exit ${rc})" >&2
    tail -n 5 "${RUN_DIR}/client.out" "${RUN_DIR}/client.err" >&2
    exit 1
  fi
  grep '^table ' "${RUN_DIR}/client.out" | awk '{print $2, $6, $8}' | sort >"${RUN_DIR}/digest.txt"
}

summary() {  # <label> <fetcher> <reference digest file>
  local attempts retries delivered distinct again exact
  attempts="$(awk '/^attempts/ {print $2}' "${RUN_DIR}/client.out")"
  retries="$(cat "${RUN_DIR}"/connector.*.log | grep -o 'Retries: [0-9]*' | awk '{s += $2} END {print s + 0}')"
  delivered="$(awk '/^table / {s += $4} END {print s + 0}' "${RUN_DIR}/client.out")"
  distinct="$(awk '/^table / {s += $6} END {print s + 0}' "${RUN_DIR}/client.out")"
  again=$((delivered - distinct))
  if cmp -s "${RUN_DIR}/digest.txt" "$3"; then exact="exact"; else exact="ROWS DIFFER"; FAILED=1; fi
  printf 'soak: %-14s %-7s %8.2f s  x%5.2f  rss %4d MB  kills %d  attempts %s  rows %d (+%d again)  retries %s  %s\n' \
    "$1" "$2" "$(echo "${RUN_WALL} / 1000" | bc -l)" "$(echo "${RUN_WALL} / ${FAULT_FREE_MS[$2]}" | bc -l)" \
    "$((PEAK_KB / 1024))" "${RUN_KILLS}" "${attempts}" "${distinct}" "${again}" "${retries}" "${exact}"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "${RUN_WALL}" "${PEAK_KB}" "${RUN_KILLS}" \
    "${attempts}" "${distinct}" "${again}" "${retries}" "${exact}" >>"${BUILD}/bench/soak-results.tsv"
}

declare -A FAULT_FREE_MS
FAILED=0
mkdir -p "${BUILD}/bench"
: >"${BUILD}/bench/soak-results.tsv"
echo "soak: database soak, 6 tables, $("${PYTHON}" -c "print(int(1201000 * ${SCALE}))") rows; faults: ${FAULTS}; ${KILLS} kills per run; checkpoint every ${CHECKPOINT} rows"
REFERENCE=""
for fetcher in "${FETCHERS[@]}"; do
  run "fault-free-${fetcher}" "${fetcher}" 0
  FAULT_FREE_MS[${fetcher}]="${RUN_WALL}"
  [[ -n "${REFERENCE}" ]] || REFERENCE="${RUN_DIR}/digest.txt"
  summary "fault-free" "${fetcher}" "${REFERENCE}"
done
for i in $(seq 1 "${RUNS}"); do
  fetcher="${FETCHERS[$(((i - 1) % ${#FETCHERS[@]}))]}"
  # shellcheck disable=SC2086
  run "soak-${i}" "${fetcher}" "${KILLS}" ${FAULTS} --fault-seed "$((SEED * 100 + i))"
  summary "soak-${i}" "${fetcher}" "${REFERENCE}"
done
echo "soak: results in ${BUILD}/bench/soak-results.tsv"
[[ "${FAILED}" == 0 ]] || { echo "soak: a run's rows differ from the fault-free run" >&2; exit 1; }
