#!/usr/bin/env bash
# End-to-end benchmark (`make bench`): athena-local with realistic conditions (50 ms latency per
# response, 800 Mbit/s per S3 connection), results of the customers shape (4 columns) and of a wide
# typed table (15 columns) at 100k, 1M and 10M rows. Measured with /usr/bin/time -v (wall, CPU =
# user + sys, peak RSS):
#   connector-<fetcher>  athena-connector debug --no-progress (api, s3, unload, auto) into the
#                        DuckDB warehouse
#   direct-s3            the s3 sync into the same DuckDB warehouse through Connector::Sync directly,
#                        without debug's in-process gRPC hop (the partner protocol)
#   protocol-s3          the s3 sync through the gRPC server on a loopback TCP port to a client that
#                        parses every record and drops it: the production path, up to the destination
#   fetch-only-s3        the same sync with the s3 fetcher into a sink that drops the records
#   python-baseline      boto3 doing what Fivetran's Python example does (python_baseline.py)
#   read-csv-floor       DuckDB's read_csv of the same result file from local disk into a table
#
# Usage: bench/e2e/run.sh <build dir>
# Environment: BENCH_SIZES (default "100000 1000000 10000000"), BENCH_SHAPES ("customers wide"),
#   BENCH_SLOW_MAX_ROWS (largest size the api fetcher, auto and the Python baseline run at;
#   default 1000000 — at 10M rows they take many minutes), BENCH_BIG_SHAPES (shapes run at sizes
#   above that; default all of BENCH_SHAPES), BENCH_KEEP=1 keeps the work folder.
# Writes <build dir>/bench/e2e-results.tsv and prints one table with the ratios.
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_setup "${1:-}" e2e
SIZES="${BENCH_SIZES:-100000 1000000 10000000}"
SHAPES="${BENCH_SHAPES:-customers wide}"
SLOW_MAX_ROWS="${BENCH_SLOW_MAX_ROWS:-1000000}"
BIG_SHAPES="${BENCH_BIG_SHAPES:-${SHAPES}}"

# --- seeds: one table per shape and size ------------------------------------------------------
mkdir -p "${WORK}/seed"
runs_at() {  # <shape> <size>: whether this shape runs at this size
  ((${2} <= SLOW_MAX_ROWS)) || [[ " ${BIG_SHAPES} " == *" ${1} "* ]]
}

for size in ${SIZES}; do
  for shape in ${SHAPES}; do
    runs_at "${shape}" "${size}" || continue
    case "${shape}" in
      customers) cat > "${WORK}/seed/customers_${size}.sql" <<EOF
CREATE TABLE "default".customers_${size} AS
SELECT CAST(i AS BIGINT) AS customer_id,
  'first_' || i AS first_name,
  CASE WHEN i % 13 = 0 THEN NULL ELSE 'last "' || i || '"' END AS last_name,
  'user' || i || '@example.com' AS email
FROM range(1, ${size} + 1) t(i);
EOF
      ;;
      wide) cat > "${WORK}/seed/wide_${size}.sql" <<EOF
CREATE TABLE "default".wide_${size} AS
SELECT CAST(i AS BIGINT) AS id,
  CAST(i % 100000 AS INTEGER) AS int_col,
  CAST(i % 30000 AS SMALLINT) AS small_col,
  i % 2 = 0 AS bool_col,
  CAST(i AS DOUBLE) / 7 AS double_col,
  CAST(i AS REAL) / 3 AS real_col,
  CAST(i * 1.0001 AS DECIMAL(18, 4)) AS dec_col,
  'name ' || i AS name_col,
  CASE WHEN i % 10 = 0 THEN NULL ELSE 'a somewhat longer text value, with "quotes", #' || i END AS text_col,
  md5(CAST(i AS VARCHAR)) AS hash_col,
  DATE '2000-01-01' + CAST(i % 10000 AS INTEGER) AS date_col,
  TIMESTAMP '2020-01-01 00:00:00' + to_milliseconds(i * 1000 + i % 1000) AS ts_col,
  CAST('bin' || (i % 1000) AS BLOB) AS bin_col,
  [CAST(i % 10 AS INTEGER), CAST(i % 7 AS INTEGER)] AS arr_col,
  {'k': CAST(i % 5 AS INTEGER), 'v': 'x' || (i % 3)} AS row_col
FROM range(1, ${size} + 1) t(i);
EOF
      ;;
      *) echo "bench: unknown shape ${shape}" >&2; exit 1 ;;
    esac
  done
done

# --- athena-local ------------------------------------------------------------------------------
echo "bench: seeding athena-local (${SHAPES} x ${SIZES} rows) ..."
bench_start_athena_local --seed "${WORK}/seed" --latency-ms 50 --bandwidth-mbps 800
RESULTS="${BUILD}/bench/e2e-results.tsv"
mkdir -p "$(dirname "${RESULTS}")"
printf 'shape\trows\tcase\twall_s\tcpu_s\tpeak_rss_kb\n' >"${RESULTS}"

configuration() {  # <file> <fetcher> <table> <primary key>
  cat >"$1" <<EOF
{"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1",
 "database_name": "default", "s3_staging_dir": "s3://athena-results/staging/",
 "athena_endpoint_url": "${ENDPOINT}", "s3_endpoint_url": "${ENDPOINT}",
 "result_fetcher": "$2", "source_table": "$3", "destination_table": "$3", "primary_key": "$4"}
EOF
}

# measure <shape> <rows> <case> <command...>: one row of the results table.
measure() {
  local shape="$1" rows="$2" name="$3"
  shift 3
  printf 'bench: %-9s %9s rows  %-16s ' "${shape}" "${rows}" "${name}"
  bench_time "$@"
  local wall="${WALL}" cpu="${CPU}" rss="${RSS_KB}"
  printf '%8.2f s  cpu %8.2f s  rss %7d MB\n' "${wall}" "${cpu}" "$((rss / 1024))"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "${shape}" "${rows}" "${name}" "${wall}" "${cpu}" "${rss}" >>"${RESULTS}"
}

synced_rows() { "${PYTHON}" -c 'import json,sys; t=json.load(open(sys.argv[1]))["tables"][sys.argv[2]]; print(t["rows_synced"], t["query_execution_id"])' "$1" "$2"; }

for size in ${SIZES}; do
  for shape in ${SHAPES}; do
    runs_at "${shape}" "${size}" || continue
    table="${shape}_${size}"
    key=id
    [[ "${shape}" == customers ]] && key=customer_id
    # Untimed warm-up: the first query of a freshly seeded table runs slower (athena-local's storage
    # settles), which would land on whichever case comes first.
    configuration "${WORK}/warm-up.json" s3 "${table}" "${key}"
    "${TOOL}" fetch-only "${WORK}/warm-up.json" >/dev/null 2>&1 || true
    find "${WORK}/data/athena-results" -type f -delete 2>/dev/null || true
    for fetcher in s3 unload auto api; do
      if [[ "${fetcher}" == api || "${fetcher}" == auto ]] && ((size > SLOW_MAX_ROWS)); then continue; fi
      configuration "${WORK}/${fetcher}.json" "${fetcher}" "${table}" "${key}"
      rm -rf "${WORK}/files"
      measure "${shape}" "${size}" "connector-${fetcher}" \
        "${CONNECTOR}" debug --configuration "${WORK}/${fetcher}.json" --working-dir "${WORK}/files" --no-progress
      read -r synced query_id < <(synced_rows "${WORK}/files/state.json" "${table}")
      [[ "${synced}" == "${size}" ]] || { echo "bench: ${fetcher} synced ${synced} rows, expected ${size}" >&2; exit 1; }
      if [[ "${fetcher}" == s3 ]]; then
        # The floor reads the very result file the s3 fetcher read, from local disk.
        rm -f "${WORK}/floor.db" "${WORK}/floor.db.wal"
        measure "${shape}" "${size}" "read-csv-floor" \
          "${TOOL}" read-csv "${WORK}/data/athena-results/staging/${query_id}.csv" "${WORK}/floor.db"
        rm -f "${WORK}/floor.db" "${WORK}/floor.db.wal"
        rm -rf "${WORK}/direct"
        measure "${shape}" "${size}" "direct-s3" "${TOOL}" sync "${WORK}/s3.json" "${WORK}/direct"
        rm -rf "${WORK}/direct"
        measure "${shape}" "${size}" "protocol-s3" "${TOOL}" protocol "${WORK}/s3.json"
        measure "${shape}" "${size}" "fetch-only-s3" "${TOOL}" fetch-only "${WORK}/s3.json"
      fi
      rm -rf "${WORK}/files"
      # Result files are not needed again: keep the disk use to one result at a time.
      find "${WORK}/data/athena-results" -type f -delete 2>/dev/null || true
    done
    if ((size <= SLOW_MAX_ROWS)); then
      measure "${shape}" "${size}" "python-baseline" "${PYTHON}" "${ROOT}/bench/e2e/python_baseline.py" "${ENDPOINT}" "${table}" "${key}"
      grep -q "^rows ${size}$" "${WORK}/out.txt" || { echo "bench: the baseline did not read ${size} rows" >&2; exit 1; }
      find "${WORK}/data/athena-results" -type f -delete 2>/dev/null || true
    fi
  done
done

"${PYTHON}" "${ROOT}/bench/e2e/report.py" "${RESULTS}"
