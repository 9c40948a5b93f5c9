# Shared by the end-to-end benchmark scripts (sourced): the binaries, a work folder cleaned up on
# exit, athena-local on a free port, and one timed command.
#   bench_setup <build dir> <name>   sets ROOT, BUILD, CONNECTOR, ATHENA_LOCAL, TOOL, PYTHON, TIME
#                                    and WORK (a fresh folder, removed on exit unless BENCH_KEEP=1)
#   bench_start_athena_local ARGS    athena-local over ${WORK}/data with ARGS; sets ENDPOINT
#   bench_time COMMAND...            runs COMMAND under /usr/bin/time -v (stdout ${WORK}/out.txt,
#                                    stderr ${WORK}/err.txt); sets WALL and CPU (s) and RSS_KB;
#                                    exits with the output's tail when COMMAND fails

bench_setup() {
  ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  BUILD="$(cd "${1:-${ROOT}/build/Release}" && pwd)"
  CONNECTOR="${BUILD}/athena-connector"
  ATHENA_LOCAL="${BUILD}/bin/athena-local"
  TOOL="${BUILD}/bench/e2e_bench_tool"
  PYTHON=/usr/bin/python3
  TIME=/usr/bin/time
  local binary
  for binary in "${CONNECTOR}" "${ATHENA_LOCAL}" "${TOOL}" "${TIME}" "${PYTHON}"; do
    [[ -x "${binary}" ]] || { echo "bench: ${binary} is missing (build first; /usr/bin/time is Debian's 'time')" >&2; exit 1; }
  done
  WORK="$(mktemp -d "/tmp/ac-bench-$2-XXXXXX")"
  EMULATOR_PID=""
  trap bench_cleanup EXIT
}

bench_cleanup() {
  if [[ -n "${EMULATOR_PID}" ]]; then kill "${EMULATOR_PID}" 2>/dev/null || true; wait "${EMULATOR_PID}" 2>/dev/null || true; fi
  if [[ "${BENCH_KEEP:-0}" != 1 ]]; then rm -rf "${WORK}"; else echo "bench: work folder kept: ${WORK}"; fi
}

bench_start_athena_local() {
  "${ATHENA_LOCAL}" --port 0 --port-file "${WORK}/port" --data-dir "${WORK}/data" "$@" \
    --log-level warn >"${WORK}/athena-local.log" 2>&1 &
  EMULATOR_PID=$!
  local _
  for _ in $(seq 1 2400); do
    [[ -s "${WORK}/port" ]] && break
    kill -0 "${EMULATOR_PID}" 2>/dev/null || { cat "${WORK}/athena-local.log" >&2; exit 1; }
    sleep 0.25
  done
  [[ -s "${WORK}/port" ]] || { echo "bench: athena-local did not start" >&2; exit 1; }
  ENDPOINT="http://127.0.0.1:$(cat "${WORK}/port")"
}

bench_time() {
  if ! "${TIME}" -v -o "${WORK}/time.txt" "$@" >"${WORK}/out.txt" 2>"${WORK}/err.txt"; then
    echo "FAILED"
    tail -n 5 "${WORK}/out.txt" "${WORK}/err.txt" >&2
    exit 1
  fi
  WALL="$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "${WORK}/time.txt")"
  CPU="$(awk -F': ' '/User time/ {u = $2} /System time/ {s = $2} END {printf "%.2f", u + s}' "${WORK}/time.txt")"
  RSS_KB="$(awk -F': ' '/Maximum resident set size/ {print $2}' "${WORK}/time.txt")"
}
