"""Pay only for what changed, through Fivetran's protocol: a Hive-partitioned table synced by
partitions (first sync in checkpointed chunks, later syncs from the last partition less the
lookback), deletes found by key checks, a tampered state that cannot change a query. The real
`athena-connector --port N` binary driven by grpcio, against an athena-local whose query log shows
every statement it ran, its ExecutionParameters and the bytes it scanned.
"""
import json
import os
import tempfile

import grpc
import pytest

from athena_local import ACCESS_KEY, REGION, SECRET_KEY, AthenaLocal, run_query
from test_grpc_python import connector, of_kind, records_of, sdk, stub, update  # noqa: F401

DAYS = ["2026-11-%02d" % d for d in range(21, 31)]  # ten daily partitions
ROWS_PER_DAY = 200


@pytest.fixture
def athena_logged():
    log_dir = tempfile.mkdtemp(prefix="athena-local-query-log-")
    server = AthenaLocal(extra_args=["--query-log", os.path.join(log_dir, "queries.jsonl")])
    server.query_log = os.path.join(log_dir, "queries.jsonl")
    server.start()
    yield server
    server.stop()


def queries(server):
    with open(server.query_log) as f:
        return [json.loads(line) for line in f if line.strip()]


def create_events(athena):
    """default.events (id, amount, payload) partitioned by dt string: ten days of 200 rows."""
    statements = [
        "CREATE EXTERNAL TABLE events (id bigint, amount double, payload string) "
        "PARTITIONED BY (dt string) LOCATION 's3://data/events/'",
    ]
    for n, day in enumerate(DAYS):
        statements.append(
            "INSERT INTO events SELECT CAST(%d * 1000 + i AS bigint), CAST(i AS double) / 4, "
            "repeat('p', 100), '%s' FROM range(0, %d) AS t(i)" % (n, day, ROWS_PER_DAY))
    for sql in statements:
        _, execution = run_query(athena, sql)
        assert execution["Status"]["State"] == "SUCCEEDED", (sql, execution["Status"])


def configuration(server, **extra):
    config = {
        "aws_access_key_id": ACCESS_KEY,
        "aws_secret_access_key": SECRET_KEY,
        "region_name": REGION,
        "database_name": "default",
        "s3_staging_dir": "s3://athena-results/staging/",
        "athena_endpoint_url": server.endpoint,
        "s3_endpoint_url": server.endpoint,
        "source_table": "events",
        "destination_table": "events",
        "primary_key": "id",
    }
    config.update(extra)
    return config


def upserted_ids(sdk, messages):
    common, _, _ = sdk
    return [r.data["id"].long for r in records_of(messages) if r.type == common.UPSERT]


def selects(entries):
    return [e for e in entries if e["sql"].startswith("SELECT")]


def test_first_sync_in_chunks_resumes_without_rescanning_done_chunks(sdk, stub, athena_logged):
    athena = athena_logged.client("athena")
    create_events(athena)
    config = configuration(athena_logged, partitions_per_query="4")
    start = len(queries(athena_logged))
    messages, code, details = update(stub, sdk, config)
    assert code == grpc.StatusCode.OK, details
    assert len(upserted_ids(sdk, messages)) == len(DAYS) * ROWS_PER_DAY
    assert not of_kind(messages, "truncate")  # incremental: nothing is soft-deleted
    first = queries(athena_logged)[start:]
    assert [e["sql"] for e in first if e["sql"].startswith("SHOW")] == [
        'SHOW PARTITIONS `default`.`events`']
    chunks = selects(first)
    assert len(chunks) == 3  # 10 partitions, 4 a query
    assert chunks[0]["execution_parameters"] == ["'%s'" % DAYS[3]]
    assert chunks[1]["execution_parameters"] == ["'%s'" % DAYS[3], "'%s'" % DAYS[7]]
    assert chunks[2]["execution_parameters"] == ["'%s'" % DAYS[7]]
    for entry in chunks:  # values travel as parameters, never in the SQL text
        assert "2026-" not in entry["sql"], entry["sql"]
    # Each chunk scans its own partitions only: together, one full read.
    full_bytes = sum(e["data_scanned_bytes"] for e in chunks)
    _, full = run_query(athena, "SELECT * FROM events")
    assert full_bytes == full["Statistics"]["DataScannedInBytes"]

    # A sync killed right after the first chunk was checkpointed goes on with the second chunk.
    states = [json.loads(c.state_json) for c in of_kind(messages, "checkpoint")]
    after_first = next(s for s in states if s["tables"]["events"].get("partition_done") == DAYS[3])
    assert after_first["tables"]["events"]["status"] == "in_progress"
    start = len(queries(athena_logged))
    messages, code, details = update(stub, sdk, config, state_json=json.dumps(after_first))
    assert code == grpc.StatusCode.OK, details
    resumed = selects(queries(athena_logged)[start:])
    assert [e["execution_parameters"] for e in resumed] == [
        ["'%s'" % DAYS[3], "'%s'" % DAYS[7]], ["'%s'" % DAYS[7]]]
    assert len(upserted_ids(sdk, messages)) == 6 * ROWS_PER_DAY  # the first chunk is not re-read
    final = json.loads(of_kind(messages, "checkpoint")[-1].state_json)["tables"]["events"]
    assert final["status"] == "complete" and final["partition_value"] == DAYS[-1]


def test_later_syncs_read_new_partitions_and_late_rows_within_the_lookback(sdk, stub,
                                                                            athena_logged):
    athena = athena_logged.client("athena")
    create_events(athena)
    config = configuration(athena_logged, partition_lookback="2")
    messages, code, details = update(stub, sdk, config)
    assert code == grpc.StatusCode.OK, details
    state = of_kind(messages, "checkpoint")[-1].state_json
    full = sum(e["data_scanned_bytes"] for e in selects(queries(athena_logged)))

    # A new day arrives, with late rows: one within the lookback (2 days), one outside it.
    for sql in ["INSERT INTO events SELECT CAST(99000 + i AS bigint), 1.0, 'new', '2026-12-01' "
                "FROM range(0, %d) AS t(i)" % ROWS_PER_DAY,
                "INSERT INTO events VALUES (88001, 2.0, 'late inside', '2026-11-29')",
                "INSERT INTO events VALUES (88002, 3.0, 'late outside', '2026-11-25')"]:
        _, execution = run_query(athena, sql)
        assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    start = len(queries(athena_logged))
    messages, code, details = update(stub, sdk, config, state_json=state)
    assert code == grpc.StatusCode.OK, details
    ids = set(upserted_ids(sdk, messages))
    assert 88001 in ids and 88002 not in ids  # documented: older late rows wait for a re-sync
    assert all(99000 + i in ids for i in range(ROWS_PER_DAY))
    incremental = selects(queries(athena_logged)[start:])
    assert len(incremental) == 1
    assert incremental[0]["execution_parameters"] == ["'2026-11-28'"]  # 2026-11-30 less 2 days
    scanned = incremental[0]["data_scanned_bytes"]
    assert 0 < scanned <= full * 0.4, (scanned, full)  # 4 of 11 partitions


def test_key_checks_delete_what_vanished_without_rereading_other_columns(sdk, stub,
                                                                         athena_logged):
    common, _, _ = sdk
    athena = athena_logged.client("athena")
    create_events(athena)
    config = configuration(athena_logged, delete_detection_every="1")
    messages, code, details = update(stub, sdk, config)
    assert code == grpc.StatusCode.OK, details
    state = of_kind(messages, "checkpoint")[-1].state_json
    assert json.loads(state)["tables"]["events"]["key_check_query_id"]

    _, execution = run_query(athena, "DELETE FROM events WHERE id IN (1005, 7010)")
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    start = len(queries(athena_logged))
    messages, code, details = update(stub, sdk, config, state_json=state)
    assert code == grpc.StatusCode.OK, details
    deletes = [r for r in records_of(messages) if r.type == common.DELETE]
    assert sorted(r.data["id"].long for r in deletes) == [1005, 7010]
    assert all(r.table_name == "events" for r in deletes)
    key_checks = [e for e in queries(athena_logged)[start:] if "ORDER BY" in e["sql"]]
    assert len(key_checks) == 1
    assert "payload" not in key_checks[0]["sql"] and "amount" not in key_checks[0]["sql"]
    # Only the key column is read: far less than a full read of the table.
    _, full = run_query(athena, "SELECT * FROM events")
    assert key_checks[0]["data_scanned_bytes"] * 5 < full["Statistics"]["DataScannedInBytes"]
    # Deletes come before the checkpoint that records the new key check.
    kinds = [m.WhichOneof("operation") for m in messages]
    last_delete = max(i for i, m in enumerate(messages) if m.WhichOneof("operation") == "records"
                      and any(r.type == common.DELETE for r in m.records.records))
    assert "checkpoint" in kinds[last_delete:]


def test_a_tampered_state_cannot_change_the_query(sdk, stub, athena_logged):
    athena = athena_logged.client("athena")
    create_events(athena)
    config = configuration(athena_logged)
    messages, code, details = update(stub, sdk, config)
    assert code == grpc.StatusCode.OK, details
    state = json.loads(of_kind(messages, "checkpoint")[-1].state_json)
    for forged in ["2026-11-30' OR '1'='1", "1 OR 1=1"]:
        tampered = json.loads(json.dumps(state))
        tampered["tables"]["events"]["partition_value"] = forged
        start = len(queries(athena_logged))
        messages, code, details = update(stub, sdk, config, state_json=json.dumps(tampered))
        assert code == grpc.StatusCode.INVALID_ARGUMENT, (code, details)
        assert "reset the connection's state" in details
        assert forged not in details
        assert queries(athena_logged)[start:] == []  # refused before any query


def test_debug_marks_deleted_keys_fivetran_deleted_in_the_warehouse(athena_logged, tmp_path):
    """The local workflow: `debug` twice with a delete in between; `show` prints the warehouse."""
    import subprocess

    from test_grpc_python import connector_binary

    athena = athena_logged.client("athena")
    create_events(athena)
    config_path = tmp_path / "configuration.json"
    config_path.write_text(json.dumps(configuration(athena_logged, delete_detection_every="1")))
    work = tmp_path / "files"

    def debug():
        run = subprocess.run([connector_binary(), "debug", "--configuration", str(config_path),
                              "--working-dir", str(work), "--no-progress"],
                             capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stdout + run.stderr
        return run

    debug()
    _, execution = run_query(athena, "DELETE FROM events WHERE id IN (2005, 9010)")
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    run = debug()
    assert "key check" in run.stderr and "2 gone, deleted at the destination" in run.stderr
    show = subprocess.run([connector_binary(), "show", "events", "--working-dir", str(work),
                           "--limit", str(len(DAYS) * ROWS_PER_DAY + 10)],
                          capture_output=True, text=True, timeout=120)
    assert show.returncode == 0, show.stderr
    lines = [l.split("|") for l in show.stdout.splitlines() if "|" in l]
    header = [c.strip() for c in lines[0]]
    rows = {int(r[header.index("id")]): r[header.index("_fivetran_deleted")].strip()
            for r in lines[1:] if r[0].strip().isdigit()}
    assert len(rows) == len(DAYS) * ROWS_PER_DAY
    assert {k for k, deleted in rows.items() if deleted == "true"} == {2005, 9010}
