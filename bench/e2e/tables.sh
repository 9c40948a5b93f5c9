#!/usr/bin/env bash
# Database benchmark (`make bench-tables`): a database of 20 tables of mixed sizes (10 M rows in
# all, the customers shape) synced with `tables` = `*` through the gRPC path (e2e_bench_tool
# protocol: the connector's gRPC server on a loopback port, every record encoded, sent, parsed and
# dropped by Fivetran's side), on athena-local with Athena's latencies: 50 ms per response and
# 2 s per query (--query-delay-ms 2000), 800 Mbit/s per S3 connection.
#   tables-parallel-<N>   the whole database with max_parallel_tables N (1, 4, 8)
#   largest-table         the largest table alone (the floor a parallel run approaches)
# Then what a deselected wide column saves: `debug` of a table with a 400-byte column, with and
# without --exclude-columns, bytes scanned read from athena-local's query log.
#
# Usage: bench/e2e/tables.sh <build dir>
# Environment: BENCH_TABLE_SCALE (default 1; 0.1 = 1 M rows in all), BENCH_PARALLEL ("1 4 8").
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_setup "${1:-}" tables
SCALE="${BENCH_TABLE_SCALE:-1}"
PARALLEL="${BENCH_PARALLEL-1 4 8}"

# --- seed: 20 tables of mixed sizes, 10 M rows at scale 1; default.wide_payload ---------------
mkdir -p "${WORK}/seed"
"${PYTHON}" - "${SCALE}" >"${WORK}/seed/bench.sql" <<'EOF'
import sys
scale = float(sys.argv[1])
sizes = [2500000, 1500000, 1200000, 1000000, 800000, 700000, 500000, 400000, 350000, 300000,
         250000, 150000, 100000, 80000, 50000, 40000, 30000, 20000, 20000, 10000]
print("CREATE DATABASE bench;")
for n, size in enumerate(sizes, 1):
    rows = max(1, int(size * scale))
    print("CREATE TABLE bench.t%02d AS SELECT CAST(i AS BIGINT) AS customer_id, "
          "'first_' || i AS first_name, "
          "CASE WHEN i %% 13 = 0 THEN NULL ELSE 'last \"' || i || '\"' END AS last_name, "
          "'user' || i || '@example.com' AS email FROM range(1, %d) t(i);" % (n, rows + 1))
print("CREATE TABLE \"default\".wide_payload AS SELECT CAST(i AS BIGINT) AS id, 'name ' || i AS name, "
      "repeat('x', 400) AS payload FROM range(1, 200001) t(i);")
EOF
TABLES=20
largest="t01"

echo "bench: seeding athena-local ..."
# Workers enough for every table's query at once (Athena runs 20+ queries at a time).
bench_start_athena_local --seed "${WORK}/seed" --latency-ms 50 --query-delay-ms 2000 \
  --bandwidth-mbps 800 --workers 32 --query-log "${WORK}/queries.jsonl"

configuration() {  # <file> <database> <extra JSON members>
  cat >"$1" <<EOF
{"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1",
 "database_name": "$2", "s3_staging_dir": "s3://athena-results/staging/",
 "athena_endpoint_url": "${ENDPOINT}", "s3_endpoint_url": "${ENDPOINT}", $3}
EOF
}

measure() {  # <case> <command...>
  local name="$1"
  shift
  printf 'bench: %-20s ' "${name}"
  bench_time "$@"
  printf '%8.2f s  cpu %8.2f s  rss %5d MB  %s\n' "${WALL}" "${CPU}" "$((RSS_KB / 1024))" "$(grep -E "^(rows|synced)" "${WORK}/out.txt" | tr "\n" " ")"
}

echo "bench: ${TABLES} tables in database bench, $("${PYTHON}" -c "print(int(10000000 * ${SCALE}))") rows in all"
configuration "${WORK}/largest.json" bench "\"source_table\": \"${largest}\", \"destination_table\": \"${largest}\", \"primary_key\": \"customer_id\""
measure "largest-table" "${TOOL}" protocol "${WORK}/largest.json"
for n in ${PARALLEL}; do
  configuration "${WORK}/all-${n}.json" bench "\"tables\": \"*\", \"max_parallel_tables\": \"${n}\""
  measure "tables-parallel-${n}" "${TOOL}" protocol "${WORK}/all-${n}.json"
done

# --- bytes scanned with and without a deselected wide column ---------------------------------
configuration "${WORK}/wide.json" default "\"tables\": \"*\""
: >"${WORK}/queries.jsonl"
"${CONNECTOR}" debug --configuration "${WORK}/wide.json" --working-dir "${WORK}/w1" --no-progress \
  --tables wide_payload >/dev/null 2>&1
"${CONNECTOR}" debug --configuration "${WORK}/wide.json" --working-dir "${WORK}/w2" --no-progress \
  --tables wide_payload --exclude-columns wide_payload.payload >/dev/null 2>&1
"${PYTHON}" - "${WORK}/queries.jsonl" <<'EOF'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
assert len(rows) == 2, rows
for label, row in zip(("every column", "payload deselected"), rows):
    mb = row["data_scanned_bytes"] / 1e6
    billed = max(10.0, mb)  # Athena bills at least 10 MB per query
    print("bench: wide_payload %-19s %10.2f MB scanned (billed %.0f MB)  %s" % (label, mb, billed, row["sql"]))
print("bench: the deselected column saves %.0f%% of the bytes" % (100 * (1 - rows[1]["data_scanned_bytes"] / rows[0]["data_scanned_bytes"])))
EOF
