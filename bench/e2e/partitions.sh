#!/usr/bin/env bash
# Partition-incremental benchmark (`make bench-partitions`): a table Hive-partitioned by day
# (`dt` string, 365 partitions, 10 M rows) synced by `debug` into the local warehouse with the
# partitions strategy, on athena-local with Athena's latencies (50 ms per response, 2 s per query):
#   first-sync        every partition, in queries of partitions_per_query (50) partitions
#   incremental-sync  after one new daily partition arrives: the partitions from the last one
#                     less partition_lookback (2 days)
# Bytes scanned per query from athena-local's query log (it bills the partitions and columns a
# query reads, as Athena does).
#
# Usage: bench/e2e/partitions.sh <build dir>
# Environment: BENCH_PARTITION_ROWS (default 10000000).
set -euo pipefail

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bench_setup "${1:-}" partitions
ROWS="${BENCH_PARTITION_ROWS:-10000000}"

mkdir -p "${WORK}/seed"
cat >"${WORK}/seed/events.sql" <<EOF
CREATE EXTERNAL TABLE events (id bigint, user_id bigint, amount double, page string)
PARTITIONED BY (dt string) LOCATION 's3://data/events/';
INSERT INTO events
SELECT CAST(i AS bigint), CAST(i % 100000 AS bigint), CAST(i % 1000 AS double) / 8,
       'https://example.com/page/' || CAST(i % 5000 AS varchar),
       CAST(DATE '2025-12-01' + CAST(i * 365 / ${ROWS} AS integer) AS varchar)
FROM range(0, ${ROWS}) AS t(i);
EOF

echo "bench: seeding athena-local with ${ROWS} rows in 365 daily partitions ..."
bench_start_athena_local --seed "${WORK}/seed" --latency-ms 50 --query-delay-ms 2000 \
  --bandwidth-mbps 800 --query-log "${WORK}/queries.jsonl"

cat >"${WORK}/configuration.json" <<EOF
{"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1",
 "database_name": "default", "s3_staging_dir": "s3://athena-results/staging/",
 "athena_endpoint_url": "${ENDPOINT}", "s3_endpoint_url": "${ENDPOINT}",
 "source_table": "events", "destination_table": "events", "primary_key": "id",
 "partition_lookback": "2", "partitions_per_query": "50"}
EOF

sync() {  # <case>
  local mark
  mark="$(wc -l <"${WORK}/queries.jsonl")"
  printf 'bench: %-17s ' "$1"
  bench_time "${CONNECTOR}" debug --configuration "${WORK}/configuration.json" \
    --working-dir "${WORK}/files" --no-progress
  "${PYTHON}" - "${WORK}/queries.jsonl" "${mark}" "${WALL}" "${CPU}" "$((RSS_KB / 1024))" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][int(sys.argv[2]):]
selects = [l for l in lines if l["sql"].startswith("SELECT")]
scanned = sum(l["data_scanned_bytes"] for l in selects)
billed = sum(max(10 << 20, -(-l["data_scanned_bytes"] // (1 << 20)) * (1 << 20)) for l in selects)
print("%8.2f s  cpu %7.2f s  rss %5s MB  %d queries  %.2f MB scanned  %.0f MB billed"
      % (float(sys.argv[3]), float(sys.argv[4]), sys.argv[5], len(selects), scanned / (1 << 20),
         billed / (1 << 20)))
open(sys.argv[1] + ".last", "w").write(str(scanned))
EOF
}

sync first-sync
full_bytes="$(cat "${WORK}/queries.jsonl.last")"

# One new day arrives (a day's share of rows).
"${PYTHON}" - "${ENDPOINT}" "${ROWS}" <<'EOF'
import sys, time
import boto3
from botocore.config import Config
athena = boto3.client("athena", endpoint_url=sys.argv[1], region_name="us-east-1",
                      aws_access_key_id="test", aws_secret_access_key="test",
                      config=Config(retries={"max_attempts": 10}))
per_day = int(sys.argv[2]) // 365
qid = athena.start_query_execution(
    QueryString="INSERT INTO events SELECT CAST(%d + i AS bigint), CAST(i %% 100000 AS bigint), "
                "1.0, 'https://example.com/new', '2026-12-01' FROM range(0, %d) AS t(i)"
                % (int(sys.argv[2]), per_day),
    ResultConfiguration={"OutputLocation": "s3://athena-results/bench/"})["QueryExecutionId"]
while True:
    state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
    if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
        assert state == "SUCCEEDED", state
        break
    time.sleep(0.1)
EOF

sync incremental-sync
incremental_bytes="$(cat "${WORK}/queries.jsonl.last")"
"${PYTHON}" -c "print('bench: the incremental sync scanned %.2f%% of the first sync\'s bytes' % (100.0 * ${incremental_bytes} / ${full_bytes}))"
