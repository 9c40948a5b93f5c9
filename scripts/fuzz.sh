#!/usr/bin/env bash
# Runs each libFuzzer target of <build dir>/fuzz/ for <seconds> (make fuzz; FUZZ_SECONDS), starting
# from its seed corpus tests/fuzz/<target>/ (and tests/fuzz/<target>.dict when there is one). New
# corpus entries go to <build dir>/fuzz-corpus/<target>/ and crashing inputs to
# <build dir>/fuzz-artifacts/, never into the repository. Fails when any target crashed.
# FUZZ_TARGETS="athena_csv sigv4" runs only those.
set -uo pipefail
build_dir=${1:?usage: fuzz.sh <build dir> [seconds]}
seconds=${2:-60}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${root}"
targets=${FUZZ_TARGETS:-$(cd "${build_dir}/fuzz" && ls -- *_fuzzer | sed 's/_fuzzer$//')}
mkdir -p "${build_dir}/fuzz-artifacts" "${build_dir}/fuzz-logs"
failed=()
for t in ${targets}; do
  corpus="${build_dir}/fuzz-corpus/${t}"
  mkdir -p "${corpus}"
  args=(-max_total_time="${seconds}" -timeout=20 -rss_limit_mb=2048 -max_len=8192
        -print_final_stats=1 -artifact_prefix="${build_dir}/fuzz-artifacts/${t}-")
  [[ -f tests/fuzz/${t}.dict ]] && args+=(-dict="tests/fuzz/${t}.dict")
  log="${build_dir}/fuzz-logs/${t}.log"
  start=$(date +%s)
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "${build_dir}/fuzz/${t}_fuzzer" "${args[@]}" "${corpus}" "tests/fuzz/${t}" >"${log}" 2>&1
  rc=$?
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "${log}" | grep -o '[0-9]*$' || true)
  cov=$(grep -o 'cov: [0-9]*' "${log}" | tail -1 || true)
  echo "fuzz: ${t}: exit ${rc}, $(( $(date +%s) - start )) s, ${runs:-?} runs, ${cov:-cov: ?}, corpus $(ls "${corpus}" | wc -l) new"
  if ((rc != 0)); then
    failed+=("${t}")
    grep -E 'ERROR|SUMMARY|AC_FUZZ_CHECK|uncaught|Test unit written' "${log}" | head -20
  fi
done
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (logs in ${build_dir}/fuzz-logs/, inputs in ${build_dir}/fuzz-artifacts/)"
  exit 1
fi
echo "fuzz: every target ran ${seconds} s without a crash"
