#!/usr/bin/env bash
# `make demo`: the main job against the embedded default. Starts athena-local with examples/local/
# on a free port, runs `athena-connector debug` with examples/local/configuration.json (endpoints
# pointed at it), prints the summary and the first rows of tester.customers, stops the emulator.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${1:-build/Release}"
cd "${ROOT}"
CONNECTOR="${BUILD_DIR}/athena-connector"
ATHENA_LOCAL="${BUILD_DIR}/bin/athena-local"
WORK_DIR="${ROOT}/files"

tmp="$(mktemp -d)"
emulator_pid=""
cleanup() {
  if [[ -n "${emulator_pid}" ]]; then kill "${emulator_pid}" 2>/dev/null || true; wait "${emulator_pid}" 2>/dev/null || true; fi
  rm -rf "${tmp}"
}
trap cleanup EXIT

"${ATHENA_LOCAL}" --port 0 --port-file "${tmp}/port" --data-dir "${tmp}/data" --seed examples/local \
  >"${tmp}/athena-local.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 200); do
  [[ -s "${tmp}/port" ]] && break
  kill -0 "${emulator_pid}" 2>/dev/null || { cat "${tmp}/athena-local.log" >&2; echo "athena-local did not start" >&2; exit 1; }
  sleep 0.05
done
port="$(cat "${tmp}/port")"
echo "athena-local is serving examples/local/ on http://127.0.0.1:${port}"

sed -E "s#http://127\.0\.0\.1:[0-9]+#http://127.0.0.1:${port}#g" examples/local/configuration.json >"${tmp}/configuration.json"
[[ -d "${WORK_DIR}" ]] && "${CONNECTOR}" reset --working-dir "${WORK_DIR}" --yes >/dev/null
echo "\$ athena-connector debug --configuration examples/local/configuration.json --working-dir files --test"
"${CONNECTOR}" debug --configuration "${tmp}/configuration.json" --working-dir "${WORK_DIR}" --test
echo
echo "First rows of tester.customers in files/warehouse.db:"
"${CONNECTOR}" show customers --working-dir "${WORK_DIR}" --limit 10
