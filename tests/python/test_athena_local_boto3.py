"""athena-local driven by the real AWS SDK for Python (Debian's boto3): every Athena operation the
emulator serves, the S3 calls for result files, UNLOAD, and each rejection case. boto3 parses every
response with the official service model, so a shape mistake fails here."""

import datetime
import json
import re
import signal
import threading
import time
import types
import uuid
from unittest import mock

import botocore.auth
import pytest
from botocore.exceptions import ClientError

from athena_local import (EXAMPLES, RESULTS_BUCKET, AthenaLocal, all_rows, output_location,
                          run_query, s3_key_of, start_query, unique, wait_query)


def error_code(excinfo):
    return excinfo.value.response["Error"]["Code"]


# ---- queries and results -------------------------------------------------------------------------

def test_select_succeeds_with_full_query_execution(athena):
    qid, execution = run_query(athena, "SELECT customer_id, first_name FROM test_rows")
    assert execution["QueryExecutionId"] == qid
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert execution["StatementType"] == "DML"
    assert execution["WorkGroup"] == "primary"
    assert execution["QueryExecutionContext"] == {"Database": "default"}
    assert execution["ResultConfiguration"]["OutputLocation"] == output_location() + qid + ".csv"
    stats = execution["Statistics"]
    for key in ("EngineExecutionTimeInMillis", "DataScannedInBytes", "TotalExecutionTimeInMillis",
                "QueryQueueTimeInMillis", "QueryPlanningTimeInMillis",
                "ServiceProcessingTimeInMillis"):
        assert isinstance(stats[key], int) and stats[key] >= 0, key
    assert stats["ResultReuseInformation"] == {"ReusedPreviousResult": False}
    status = execution["Status"]
    assert isinstance(status["SubmissionDateTime"], datetime.datetime)
    assert status["CompletionDateTime"] >= status["SubmissionDateTime"]
    assert execution["EngineVersion"]["EffectiveEngineVersion"] == "Athena engine version 3"
    uuid.UUID(qid)  # a UUID like real Athena's ids


def test_results_of_every_type_match_athena_text(athena):
    qid, execution = run_query(athena, "SELECT * FROM types ORDER BY id")
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    page = athena.get_query_results(QueryExecutionId=qid)
    columns = page["ResultSet"]["ResultSetMetadata"]["ColumnInfo"]
    described = {c["Name"]: (c["Type"], c["Precision"], c["Scale"]) for c in columns}
    assert described == {
        "id": ("integer", 10, 0), "c_boolean": ("boolean", 0, 0), "c_tinyint": ("tinyint", 3, 0),
        "c_smallint": ("smallint", 5, 0), "c_integer": ("integer", 10, 0),
        "c_bigint": ("bigint", 19, 0), "c_real": ("real", 17, 0), "c_float": ("float", 17, 0),
        "c_double": ("double", 17, 0), "c_decimal": ("decimal", 10, 2),
        "c_decimal_wide": ("decimal", 38, 9), "c_char": ("char", 5, 0),
        "c_varchar": ("varchar", 2147483647, 0), "c_varchar_n": ("varchar", 20, 0),
        "c_varbinary": ("varbinary", 1073741824, 0), "c_date": ("date", 0, 0),
        "c_time": ("time", 3, 0), "c_timestamp": ("timestamp", 3, 0),
        "c_timestamp_tz": ("timestamp with time zone", 3, 0),
        "c_interval_ym": ("interval year to month", 0, 0),
        "c_interval_ds": ("interval day to second", 0, 0), "c_array": ("array", 0, 0),
        "c_array_varchar": ("array", 0, 0), "c_map": ("map", 0, 0), "c_row": ("row", 0, 0),
        "c_json": ("json", 0, 0), "c_ipaddress": ("ipaddress", 0, 0), "c_uuid": ("uuid", 0, 0),
    }
    for c in columns:
        assert c["CatalogName"] == "hive" and c["SchemaName"] == "" and c["TableName"] == ""
        assert c["Label"] == c["Name"] and c["Nullable"] == "UNKNOWN"
        assert c["CaseSensitive"] == (c["Type"] in ("varchar", "char"))
    rows = [[d.get("VarCharValue") for d in r["Data"]] for r in page["ResultSet"]["Rows"]]
    names = [c["Name"] for c in columns]
    assert rows[0] == names  # header row on the first page of a SELECT
    first = dict(zip(names, rows[1]))
    assert first == {
        "id": "1", "c_boolean": "true", "c_tinyint": "1", "c_smallint": "2", "c_integer": "3",
        "c_bigint": "4", "c_real": "1.5", "c_float": "0.25", "c_double": "0.5",
        "c_decimal": "12.34", "c_decimal_wide": "123456789.123456789", "c_char": "ab   ",
        "c_varchar": "hello", "c_varchar_n": "bounded", "c_varbinary": "31 32 33",
        "c_date": "2024-01-31", "c_time": "01:02:03.456",
        "c_timestamp": "2024-01-31 13:14:15.678",
        "c_timestamp_tz": "2024-01-31 13:14:15.678 UTC", "c_interval_ym": "1-2",
        "c_interval_ds": "2 03:04:05.678", "c_array": "[1, 2, 3]", "c_array_varchar": "[a, b]",
        "c_map": "{k1=1, k2=2}", "c_row": "{a=1, b=x, c={x=1.5, y=[1, 2]}}",
        "c_json": '{"a":1,"b":[1,2],"c":"Hello Athena"}', "c_ipaddress": "10.0.0.1",
        "c_uuid": "12151fd2-7586-11e9-8f9e-2a86e4085a59",
    }
    # NULL is a Datum without VarCharValue; the empty string is VarCharValue "".
    null_row = page["ResultSet"]["Rows"][2]["Data"]
    assert null_row[0] == {"VarCharValue": "2"}
    assert all(d == {} for d in null_row[1:])
    empty = dict(zip(names, rows[3]))
    assert empty["c_varchar"] == "" and empty["c_varbinary"] == "" and empty["c_array"] == "[]"
    assert empty["c_double"] == "1.0E10" and empty["c_real"] == "-0.001"
    tricky = dict(zip(names, rows[4]))
    assert tricky["c_varchar"] == 'say "hi", then\nleave'
    assert tricky["c_double"] == "9.99E-4"
    assert tricky["c_array_varchar"] == '[a,b, c "d", null]'
    assert tricky["c_interval_ym"] == "-1-6"


def test_result_csv_is_written_as_athena_writes_it(athena, s3):
    qid, execution = run_query(athena, "SELECT id, c_varchar, c_double, c_array FROM types "
                                       "WHERE id IN (2, 3, 4) ORDER BY id")
    bucket, key = s3_key_of(execution["ResultConfiguration"]["OutputLocation"])
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    assert body == ('"id","c_varchar","c_double","c_array"\n'
                    '"2",,,\n'
                    '"3","","1.0E10","[]"\n'
                    '"4","say ""hi"", then\nleave","9.99E-4","[null, -1]"\n')
    metadata = s3.head_object(Bucket=bucket, Key=key + ".metadata")
    assert metadata["ContentLength"] > 0


def test_paginator_spans_pages_with_header_only_on_the_first(athena):
    qid, execution = run_query(
        athena, "SELECT n, 'row ' || CAST(n AS varchar) AS label "
                "FROM UNNEST(sequence(1, 2500)) AS t(n) ORDER BY n")
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    pages = list(athena.get_paginator("get_query_results").paginate(
        QueryExecutionId=qid, PaginationConfig={"PageSize": 1000}))
    assert [len(p["ResultSet"]["Rows"]) for p in pages] == [1000, 1000, 501]
    assert "NextToken" not in pages[-1]
    rows = [[d.get("VarCharValue") for d in r["Data"]] for p in pages for r in p["ResultSet"]["Rows"]]
    assert rows[0] == ["n", "label"]
    assert rows[1] == ["1", "row 1"] and rows[999] == ["999", "row 999"]
    assert rows[1000] == ["1000", "row 1000"]  # page 2 starts with data, no header
    assert [int(r[0]) for r in rows[1:]] == list(range(1, 2501))
    # A small page size walks the same rows.
    assert all_rows(athena, qid, page_size=333) == rows


def test_max_results_bounds_are_validated_by_the_server(athena):
    qid, _ = run_query(athena, "SELECT 1")
    with pytest.raises(ClientError) as e:
        athena.get_query_results(QueryExecutionId=qid, MaxResults=1001)
    assert error_code(e) == "InvalidRequestException"
    with pytest.raises(ClientError) as e:
        athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default",
                                   MaxResults=51)
    assert error_code(e) == "InvalidRequestException"
    page = athena.get_query_results(QueryExecutionId=qid, MaxResults=1)
    assert len(page["ResultSet"]["Rows"]) == 1 and "NextToken" in page
    page = athena.get_query_results(QueryExecutionId=qid, MaxResults=1,
                                    NextToken=page["NextToken"])
    assert page["ResultSet"]["Rows"] == [{"Data": [{"VarCharValue": "1"}]}]
    assert "NextToken" not in page
    with pytest.raises(ClientError) as e:
        athena.get_query_results(QueryExecutionId=qid, NextToken="bm90LWEtdG9rZW4=")
    assert error_code(e) == "InvalidRequestException"


def test_unknown_query_ids(athena):
    missing = str(uuid.uuid4())
    for call in (athena.get_query_execution, athena.get_query_results,
                 athena.stop_query_execution, athena.get_query_runtime_statistics):
        with pytest.raises(ClientError) as e:
            call(QueryExecutionId=missing)
        assert error_code(e) == "InvalidRequestException"
        assert missing in e.value.response["Error"]["Message"]
    qid, _ = run_query(athena, "SELECT 1")
    batch = athena.batch_get_query_execution(QueryExecutionIds=[qid, missing])
    assert [q["QueryExecutionId"] for q in batch["QueryExecutions"]] == [qid]
    unprocessed = batch["UnprocessedQueryExecutionIds"]
    assert len(unprocessed) == 1 and unprocessed[0]["QueryExecutionId"] == missing
    assert unprocessed[0]["ErrorCode"] and unprocessed[0]["ErrorMessage"]


@pytest.mark.parametrize("sql,prefix,error_type", [
    ("SELECT * FROM nope", "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.default.nope' "
                           "does not exist", 1301),
    ("SELECT * FROM nodb.t", "SCHEMA_NOT_FOUND: line 1:15: Schema 'nodb' does not exist", 1301),
    ("SELECT nope FROM test_rows", "COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved",
     1006),
    ("SELECT nofunc(1)", "FUNCTION_NOT_FOUND: line 1:8: Function 'nofunc' not registered", 1303),
])
def test_failed_queries_report_athena_errors(athena, sql, prefix, error_type):
    qid, execution = run_query(athena, sql)
    status = execution["Status"]
    assert status["State"] == "FAILED"
    assert status["StateChangeReason"].startswith(prefix), status["StateChangeReason"]
    error = status["AthenaError"]
    assert error["ErrorCategory"] == 2 and error["ErrorType"] == error_type
    assert error["Retryable"] is False and error["ErrorMessage"] == status["StateChangeReason"]
    with pytest.raises(ClientError) as e:
        athena.get_query_results(QueryExecutionId=qid)
    assert error_code(e) == "InvalidRequestException"


@pytest.mark.parametrize("sql,message", [
    ("SELEC 1", "line 1:1: mismatched input 'SELEC'. Expecting: "),
    ("SELECT customer_id FORM test_rows", "line 1:25: mismatched input 'test_rows'"),
    ("SELECT 1 +", "line 1:11: mismatched input '<EOF>'"),
    ("SELECT 1; SELECT 2", "line 1:9: mismatched input ';'"),
])
def test_syntax_errors_are_rejected_by_start_query_execution(athena, sql, message):
    with pytest.raises(ClientError) as e:
        start_query(athena, sql)
    assert error_code(e) == "InvalidRequestException"
    assert e.value.response["Error"]["Message"].startswith(message), e.value.response["Error"]
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_client_request_token_is_idempotent(athena):
    token = uuid.uuid4().hex
    first = start_query(athena, "SELECT 42", ClientRequestToken=token)
    again = start_query(athena, "SELECT 42", ClientRequestToken=token)
    assert first == again
    with pytest.raises(ClientError) as e:
        start_query(athena, "SELECT 43", ClientRequestToken=token)
    assert error_code(e) == "InvalidRequestException"
    # boto3 fills a fresh token when none is given: two distinct executions.
    assert start_query(athena, "SELECT 42") != start_query(athena, "SELECT 42")


def test_execution_parameters_fill_placeholders(athena):
    qid, execution = run_query(
        athena, "SELECT customer_id, first_name FROM test_rows WHERE customer_id = ? OR email = ?",
        ExecutionParameters=["7", "'nobody@example.com'"])
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert execution["ExecutionParameters"] == ["7", "'nobody@example.com'"]
    assert all_rows(athena, qid)[1][0] == "7"
    _, failed = run_query(athena, "SELECT ?", ExecutionParameters=["1", "2"])
    assert failed["Status"]["State"] == "FAILED"


def test_result_reuse_returns_the_previous_result(athena):
    sql = "SELECT count(*) AS n FROM test_rows /* reuse */"
    reuse = {"ResultReuseByAgeConfiguration": {"Enabled": True, "MaxAgeInMinutes": 60}}
    first_id, first = run_query(athena, sql, ResultReuseConfiguration=reuse)
    assert first["Statistics"]["ResultReuseInformation"]["ReusedPreviousResult"] is False
    second_id, second = run_query(athena, sql, ResultReuseConfiguration=reuse)
    assert second_id != first_id
    assert second["Statistics"]["ResultReuseInformation"]["ReusedPreviousResult"] is True
    assert (second["ResultConfiguration"]["OutputLocation"]
            == first["ResultConfiguration"]["OutputLocation"])
    assert all_rows(athena, second_id) == [["n"], ["300"]]
    # Without the reuse configuration a query runs again.
    _, third = run_query(athena, sql)
    assert third["Statistics"]["ResultReuseInformation"]["ReusedPreviousResult"] is False


def test_stop_query_execution_cancels_a_running_query(athena):
    qid = start_query(athena, "SELECT sum(a.range * b.range) FROM range(200000) a, range(200000) b")
    deadline = time.monotonic() + 10
    while athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"] \
            == "QUEUED" and time.monotonic() < deadline:
        time.sleep(0.02)
    athena.stop_query_execution(QueryExecutionId=qid)
    execution = wait_query(athena, qid, timeout=30)
    assert execution["Status"]["State"] == "CANCELLED"
    athena.stop_query_execution(QueryExecutionId=qid)  # idempotent
    with pytest.raises(ClientError) as e:
        athena.get_query_results(QueryExecutionId=qid)
    assert error_code(e) == "InvalidRequestException"


def test_get_query_results_before_completion_and_query_delay():
    with AthenaLocal(extra_args=["--query-delay-ms", "1500"]) as server:
        athena = server.client("athena")
        qid = start_query(athena, "SELECT 1")
        state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
        assert state in ("QUEUED", "RUNNING")
        with pytest.raises(ClientError) as e:
            athena.get_query_results(QueryExecutionId=qid)
        assert error_code(e) == "InvalidRequestException"
        assert "not yet finished" in e.value.response["Error"]["Message"]
        seen = {state}
        while state not in ("SUCCEEDED", "FAILED", "CANCELLED"):
            time.sleep(0.05)
            state = athena.get_query_execution(
                QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]
            seen.add(state)
        assert state == "SUCCEEDED" and "RUNNING" in seen
        # Stopping a query held in QUEUED/RUNNING cancels it.
        qid = start_query(athena, "SELECT 2")
        athena.stop_query_execution(QueryExecutionId=qid)
        assert wait_query(athena, qid)["Status"]["State"] == "CANCELLED"


def test_query_runtime_statistics(athena):
    qid, _ = run_query(athena, "SELECT * FROM test_rows")
    stats = athena.get_query_runtime_statistics(QueryExecutionId=qid)["QueryRuntimeStatistics"]
    assert stats["Timeline"]["TotalExecutionTimeInMillis"] >= 0
    assert stats["Rows"]["OutputRows"] == 300
    assert stats["OutputStage"]["State"] == "FINISHED"


def test_output_location_is_required_without_workgroup_default(athena):
    with pytest.raises(ClientError) as e:
        athena.start_query_execution(QueryString="SELECT 1")
    assert error_code(e) == "InvalidRequestException"
    assert "output location" in e.value.response["Error"]["Message"].lower()
    with pytest.raises(ClientError) as e:
        athena.start_query_execution(QueryString="SELECT 1", WorkGroup="nope",
                                     ResultConfiguration={"OutputLocation": output_location()})
    assert error_code(e) == "InvalidRequestException"


# ---- catalog metadata ----------------------------------------------------------------------------

def test_list_databases_and_get_work_group(athena):
    databases = athena.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]
    assert "default" in [d["Name"] for d in databases]
    work_group = athena.get_work_group(WorkGroup="primary")["WorkGroup"]
    assert work_group["Name"] == "primary" and work_group["State"] == "ENABLED"
    with pytest.raises(ClientError) as e:
        athena.get_work_group(WorkGroup="other")
    assert error_code(e) == "InvalidRequestException"


def test_table_metadata_uses_hive_type_names(athena):
    table = athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default",
                                      TableName="types")["TableMetadata"]
    assert table["Name"] == "types" and table["TableType"] == "EXTERNAL_TABLE"
    assert table["PartitionKeys"] == []
    assert isinstance(table["CreateTime"], datetime.datetime)
    hive = {c["Name"]: c["Type"] for c in table["Columns"]}
    assert hive["c_varchar"] == "string" and hive["c_integer"] == "int"
    assert hive["c_decimal"] == "decimal(10,2)" and hive["c_varbinary"] == "binary"
    assert hive["c_char"] == "char(5)" and hive["c_varchar_n"] == "varchar(20)"
    assert hive["c_array"] == "array<int>" and hive["c_map"] == "map<string,int>"
    assert hive["c_row"] == "struct<a:int,b:string,c:struct<x:double,y:array<int>>>"
    assert hive["c_timestamp"] == "timestamp" and hive["c_float"] == "float"
    rows = athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default",
                                     TableName="test_rows")["TableMetadata"]
    assert [c["Name"] for c in rows["Columns"]][:4] == ["customer_id", "first_name", "last_name",
                                                          "email"]
    assert rows["Columns"][0]["Comment"] == "primary key"
    with pytest.raises(ClientError) as e:
        athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default",
                                  TableName="nope")
    assert error_code(e) == "MetadataException"


def test_list_table_metadata_filters_and_pages(athena):
    listed = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default",
                                        Expression="test.*")["TableMetadataList"]
    assert [t["Name"] for t in listed] == ["test_rows"]
    first = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default",
                                       MaxResults=1)
    assert len(first["TableMetadataList"]) == 1 and "NextToken" in first
    second = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default",
                                        MaxResults=1, NextToken=first["NextToken"])
    assert second["TableMetadataList"][0]["Name"] != first["TableMetadataList"][0]["Name"]
    with pytest.raises(ClientError) as e:
        athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="nodb")
    assert error_code(e) == "MetadataException"


# ---- DDL, utility statements, CTAS / INSERT, UNLOAD -----------------------------------------------

def test_ddl_and_utility_statements(athena, s3):
    db = unique("db").replace("-", "_")
    _, created = run_query(athena, "CREATE DATABASE %s" % db)
    assert created["Status"]["State"] == "SUCCEEDED", created["Status"]
    assert created["StatementType"] == "DDL"
    assert created["ResultConfiguration"]["OutputLocation"].endswith(".txt")
    _, table = run_query(athena, "CREATE EXTERNAL TABLE `%s`.`events` (id bigint COMMENT 'id', "
                                 "name string, tags array<string>, attrs map<string,int>) "
                                 "STORED AS PARQUET LOCATION 's3://%s/events/'"
                         % (db, RESULTS_BUCKET))
    assert table["Status"]["State"] == "SUCCEEDED", table["Status"]
    qid, show = run_query(athena, "SHOW TABLES IN %s" % db)
    assert show["StatementType"] == "UTILITY"
    rows = all_rows(athena, qid)
    assert rows == [["events"]]  # no header row for DDL/UTILITY
    columns = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["ResultSetMetadata"]
    assert columns["ColumnInfo"][0]["Name"] == "tab_name"
    bucket, key = s3_key_of(show["ResultConfiguration"]["OutputLocation"])
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"events\n"
    qid, _ = run_query(athena, "DESCRIBE events", database=db)
    described = [r[0].split("\t") for r in all_rows(athena, qid)]
    assert [c.strip() for c in described[0]] == ["id", "bigint", "id"]
    assert [c.strip() for c in described[2]][:2] == ["tags", "array<string>"]
    qid, _ = run_query(athena, "SHOW DATABASES")
    assert [db] in all_rows(athena, qid)
    _, dropped = run_query(athena, "DROP TABLE %s.events" % db)
    assert dropped["Status"]["State"] == "SUCCEEDED"
    _, missing = run_query(athena, "DROP TABLE %s.events" % db)
    assert missing["Status"]["State"] == "FAILED"
    _, dropped_db = run_query(athena, "DROP DATABASE %s" % db)
    assert dropped_db["Status"]["State"] == "SUCCEEDED"


def test_ctas_and_insert_report_update_count(athena):
    name = unique("ctas").replace("-", "_")
    qid, ctas = run_query(athena, "CREATE TABLE %s WITH (format = 'PARQUET') AS "
                                  "SELECT customer_id, email FROM test_rows WHERE customer_id <= 10"
                          % name)
    assert ctas["Status"]["State"] == "SUCCEEDED", ctas["Status"]
    assert ctas["StatementType"] == "DML"
    results = athena.get_query_results(QueryExecutionId=qid)
    assert results["UpdateCount"] == 10 and results["ResultSet"]["Rows"] == []
    assert "DataManifestLocation" in ctas["Statistics"]
    qid, _ = run_query(athena, "INSERT INTO %s SELECT customer_id, email FROM test_rows "
                               "WHERE customer_id > 295" % name)
    assert athena.get_query_results(QueryExecutionId=qid)["UpdateCount"] == 5
    qid, _ = run_query(athena, "SELECT count(*) FROM %s" % name)
    assert all_rows(athena, qid)[1] == ["15"]


def test_unload_writes_parquet_and_a_manifest(athena, s3):
    target = "s3://%s/%s/" % (RESULTS_BUCKET, unique("unload"))
    sql = ("UNLOAD (SELECT customer_id, first_name, signup_date FROM test_rows) TO '%s' "
           "WITH (format = 'PARQUET', compression = 'SNAPPY')" % target)
    qid, execution = run_query(athena, sql)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    manifest_uri = execution["Statistics"]["DataManifestLocation"]
    assert manifest_uri == output_location() + qid + "-manifest.csv"
    bucket, key = s3_key_of(manifest_uri)
    files = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
    assert files and all(f.startswith(target) for f in files)
    target_bucket, target_prefix = s3_key_of(target)
    listed = s3.list_objects_v2(Bucket=target_bucket, Prefix=target_prefix)
    assert sorted("s3://%s/%s" % (target_bucket, o["Key"]) for o in listed["Contents"]) == \
        sorted(files)
    for uri in files:
        b, k = s3_key_of(uri)
        data = s3.get_object(Bucket=b, Key=k)["Body"].read()
        assert data[:4] == b"PAR1" and data[-4:] == b"PAR1"
    assert athena.get_query_results(QueryExecutionId=qid)["UpdateCount"] == 300
    # The target prefix must be empty, as on Athena.
    _, again = run_query(athena, sql)
    assert again["Status"]["State"] == "FAILED"
    assert again["Status"]["StateChangeReason"].startswith("HIVE_PATH_ALREADY_EXISTS")


# ---- S3 ------------------------------------------------------------------------------------------

def test_s3_ranged_downloads_of_a_result_file(athena, s3):
    _, execution = run_query(athena, "SELECT * FROM test_rows ORDER BY customer_id")
    bucket, key = s3_key_of(execution["ResultConfiguration"]["OutputLocation"])
    whole = s3.get_object(Bucket=bucket, Key=key)
    body = whole["Body"].read()
    assert whole["ContentLength"] == len(body) and whole["ETag"].startswith('"')
    assert whole["AcceptRanges"] == "bytes" and isinstance(whole["LastModified"], datetime.datetime)
    part = s3.get_object(Bucket=bucket, Key=key, Range="bytes=10-19")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["ContentRange"] == "bytes 10-19/%d" % len(body)
    assert part["Body"].read() == body[10:20]
    assert s3.get_object(Bucket=bucket, Key=key, Range="bytes=%d-" % (len(body) - 7))[
        "Body"].read() == body[-7:]
    assert s3.get_object(Bucket=bucket, Key=key, Range="bytes=-5")["Body"].read() == body[-5:]
    assert s3.get_object(Bucket=bucket, Key=key, Range="bytes=0-999999999")["Body"].read() == body
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key=key, Range="bytes=%d-" % len(body))
    assert error_code(e) == "InvalidRange"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == len(body) and head["ETag"] == whole["ETag"]
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-request-id"]
    # A consistent read of a changed object fails its precondition.
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key=key, IfMatch='"0000"')
    assert error_code(e) == "PreconditionFailed"


def test_s3_download_file_with_the_transfer_manager(athena, s3, tmp_path):
    qid, execution = run_query(athena, "SELECT * FROM test_rows")
    bucket, key = s3_key_of(execution["ResultConfiguration"]["OutputLocation"])
    target = tmp_path / "result.csv"
    s3.download_file(bucket, key, str(target))
    assert target.read_bytes() == s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert target.read_bytes().count(b"\n") == 301


def test_s3_put_list_delete(s3):
    bucket = "scratch-bucket"
    s3.create_bucket(Bucket=bucket)
    keys = ["a/1.txt", "a/2.txt", "a/b/3.txt", "c.txt", "d e+f.txt", "ü/4.txt"]
    for k in keys:
        put = s3.put_object(Bucket=bucket, Key=k, Body=("body of " + k).encode())
        assert put["ETag"].startswith('"')
    assert s3.get_object(Bucket=bucket, Key="d e+f.txt")["Body"].read() == b"body of d e+f.txt"
    listed = s3.list_objects_v2(Bucket=bucket)
    assert [o["Key"] for o in listed["Contents"]] == sorted(keys, key=lambda k: k.encode())
    assert listed["KeyCount"] == len(keys) and listed["IsTruncated"] is False
    grouped = s3.list_objects_v2(Bucket=bucket, Delimiter="/")
    assert [p["Prefix"] for p in grouped["CommonPrefixes"]] == ["a/", "ü/"]
    assert [o["Key"] for o in grouped["Contents"]] == ["c.txt", "d e+f.txt"]
    nested = s3.list_objects_v2(Bucket=bucket, Prefix="a/", Delimiter="/")
    assert [o["Key"] for o in nested["Contents"]] == ["a/1.txt", "a/2.txt"]
    assert [p["Prefix"] for p in nested["CommonPrefixes"]] == ["a/b/"]
    page = s3.list_objects_v2(Bucket=bucket, MaxKeys=2)
    assert page["IsTruncated"] is True and page["KeyCount"] == 2
    rest = s3.list_objects_v2(Bucket=bucket, MaxKeys=2, ContinuationToken=page["NextContinuationToken"])
    assert [o["Key"] for o in rest["Contents"]] == ["a/b/3.txt", "c.txt"]
    after = s3.list_objects_v2(Bucket=bucket, StartAfter="c.txt")
    assert [o["Key"] for o in after["Contents"]] == ["d e+f.txt", "ü/4.txt"]
    paginated = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, PaginationConfig={"PageSize": 1}) for o in p.get("Contents", [])]
    assert paginated == [o["Key"] for o in listed["Contents"]]
    s3.delete_object(Bucket=bucket, Key="c.txt")
    s3.delete_object(Bucket=bucket, Key="c.txt")  # deleting a missing key succeeds
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="c.txt")
    assert error_code(e) == "NoSuchKey"
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=bucket, Key="c.txt")
    assert error_code(e) == "404"
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket="no-such-bucket")
    assert error_code(e) == "NoSuchBucket"


def test_deleted_result_file_makes_get_query_results_fail(athena, s3):
    qid, execution = run_query(athena, "SELECT 1 AS x")
    bucket, key = s3_key_of(execution["ResultConfiguration"]["OutputLocation"])
    s3.delete_object(Bucket=bucket, Key=key)
    with pytest.raises(ClientError) as e:
        athena.get_query_results(QueryExecutionId=qid)
    assert error_code(e) == "InvalidRequestException"


def test_virtual_hosted_style_addressing(athena_local):
    import urllib.request
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    s3 = athena_local.client("s3")
    s3.create_bucket(Bucket="vhost-bucket")
    s3.put_object(Bucket="vhost-bucket", Key="dir/hello.txt", Body=b"hello vhost")
    host = "vhost-bucket.s3.localhost:%d" % athena_local.port
    request = AWSRequest(method="GET", url="http://%s/dir/hello.txt" % host)
    S3SigV4Auth(Credentials("test", "test"), "s3", "us-east-1").add_auth(request)
    prepared = request.prepare()
    headers = dict(prepared.headers.items())
    headers["Host"] = host  # signed as the virtual host; sent to the loopback address
    raw = urllib.request.Request("http://127.0.0.1:%d/dir/hello.txt" % athena_local.port,
                                 headers=headers)
    with urllib.request.urlopen(raw) as response:
        assert response.read() == b"hello vhost"


# ---- rejections ----------------------------------------------------------------------------------

def test_unknown_access_key_is_rejected(athena_local):
    athena = athena_local.client("athena", access_key="AKIDNOTKNOWN")
    with pytest.raises(ClientError) as e:
        athena.list_databases(CatalogName="AwsDataCatalog")
    assert error_code(e) == "UnrecognizedClientException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    s3 = athena_local.client("s3", access_key="AKIDNOTKNOWN")
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=RESULTS_BUCKET)
    assert error_code(e) == "InvalidAccessKeyId"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_wrong_secret_is_rejected(athena_local):
    athena = athena_local.client("athena", secret_key="wrong")
    with pytest.raises(ClientError) as e:
        athena.list_databases(CatalogName="AwsDataCatalog")
    assert error_code(e) == "InvalidSignatureException"
    s3 = athena_local.client("s3", secret_key="wrong")
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=RESULTS_BUCKET)
    assert error_code(e) == "SignatureDoesNotMatch"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_body_tampered_after_signing_is_rejected(athena_local):
    athena = athena_local.client("athena", retries=1)

    def tamper(request, **kwargs):
        body = request.body.decode() if isinstance(request.body, bytes) else request.body
        request.body = body.replace("SELECT 1", "SELECT 2").encode()

    athena.meta.events.register("before-send.athena.StartQueryExecution", tamper)
    with pytest.raises(ClientError) as e:
        start_query(athena, "SELECT 1")
    assert error_code(e) == "InvalidSignatureException"
    s3 = athena_local.client("s3", retries=1)

    def tamper_put(request, **kwargs):
        request.body = b"tampered body!"

    s3.meta.events.register("before-send.s3.PutObject", tamper_put)
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=RESULTS_BUCKET, Key="tampered.txt", Body=b"original body!")
    assert error_code(e) in ("XAmzContentSHA256Mismatch", "SignatureDoesNotMatch")


def test_twenty_minute_clock_skew_is_rejected(athena_local):
    class Skewed(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return datetime.datetime.utcnow() - datetime.timedelta(minutes=20)

    shifted = types.SimpleNamespace(datetime=Skewed, timedelta=datetime.timedelta)
    athena = athena_local.client("athena", retries=1)
    s3 = athena_local.client("s3", retries=1)
    with mock.patch.object(botocore.auth, "datetime", shifted):
        with pytest.raises(ClientError) as e:
            athena.list_databases(CatalogName="AwsDataCatalog")
        assert error_code(e) == "InvalidSignatureException"
        assert "Signature expired" in e.value.response["Error"]["Message"]
        with pytest.raises(ClientError) as e:
            s3.list_objects_v2(Bucket=RESULTS_BUCKET)
        assert error_code(e) == "RequestTimeTooSkewed"


def _signed_with_changed_request(athena_local, change):
    """An Athena client whose requests are altered by `change(request)` before signing."""
    athena = athena_local.client("athena", retries=1)
    athena.meta.events.register("before-sign.athena.*", lambda request, **kw: change(request))
    return athena


def test_malformed_json_unknown_operation_and_missing_fields(athena_local):
    def bad_json(request):
        request.data = b"{not json"

    athena = _signed_with_changed_request(athena_local, bad_json)
    with pytest.raises(ClientError) as e:
        athena.list_databases(CatalogName="AwsDataCatalog")
    assert error_code(e) == "SerializationException"

    def unknown_op(request):
        request.headers.replace_header("X-Amz-Target", "AmazonAthena.NoSuchOperation")

    athena = _signed_with_changed_request(athena_local, unknown_op)
    with pytest.raises(ClientError) as e:
        athena.list_databases(CatalogName="AwsDataCatalog")
    assert error_code(e) == "UnknownOperationException"

    def drop_fields(request):
        body = json.loads(request.data)
        body.pop("ClientRequestToken", None)
        body.pop("CatalogName", None)
        body["MaxResults"] = 0 if "MaxResults" in body else body.get("MaxResults")
        request.data = json.dumps({k: v for k, v in body.items() if v is not None}).encode()

    athena = _signed_with_changed_request(athena_local, drop_fields)
    with pytest.raises(ClientError) as e:  # raw callers must send ClientRequestToken
        start_query(athena, "SELECT 1")
    assert error_code(e) == "InvalidRequestException"
    with pytest.raises(ClientError) as e:  # required member missing
        athena.list_databases(CatalogName="AwsDataCatalog")
    assert error_code(e) == "InvalidRequestException"
    with pytest.raises(ClientError) as e:  # MaxResults below the minimum
        athena.get_query_results(QueryExecutionId="x", MaxResults=5)
    assert error_code(e) == "InvalidRequestException"


def test_fault_injection_throttles_and_fails():
    with AthenaLocal(extra_args=["--throttle-rate", "1.0", "--fault-seed", "7"]) as server:
        athena = server.client("athena", retries=1)
        with pytest.raises(ClientError) as e:
            athena.list_databases(CatalogName="AwsDataCatalog")
        assert error_code(e) == "ThrottlingException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        s3 = server.client("s3", retries=1)
        with pytest.raises(ClientError) as e:
            s3.list_objects_v2(Bucket=RESULTS_BUCKET)
        assert error_code(e) == "SlowDown"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    with AthenaLocal(extra_args=["--error-rate", "1.0"]) as server:
        athena = server.client("athena", retries=1)
        with pytest.raises(ClientError) as e:
            athena.list_databases(CatalogName="AwsDataCatalog")
        assert error_code(e) == "InternalServerException"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_fault_injection_is_deterministic_for_a_seed():
    def outcomes(seed):
        with AthenaLocal(extra_args=["--throttle-rate", "0.5", "--fault-seed", str(seed)]) as server:
            athena = server.client("athena", retries=1)
            seen = []
            for _ in range(12):
                try:
                    athena.list_databases(CatalogName="AwsDataCatalog")
                    seen.append("ok")
                except ClientError as e:
                    seen.append(e.response["Error"]["Code"])
            return seen

    first = outcomes(3)
    assert first == outcomes(3)
    assert "ok" in first and "ThrottlingException" in first


def outcome(call, **kwargs):
    """'ok', or the error code of a call (made once by a client of retries=0)."""
    try:
        call(**kwargs)
        return "ok"
    except ClientError as e:
        return e.response["Error"]["Code"]


def stopped_log(server):
    """athena-local's log once it stopped (SIGTERM), with its fault summary."""
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(timeout=10)
    return server.log()


def test_rate_limit_throttles_a_fast_client_per_action():
    # 1 request/s per action, bursts of 2: the bucket starts full, then a client sending as fast as
    # loopback allows finds it empty. Without the limit, 10 sequential calls would have to take
    # 8 s to get through; each call's own count bounds what the refill let through.
    with AthenaLocal(extra_args=["--rate-limit", "1", "--rate-burst", "2"]) as server:
        athena = server.client("athena", retries=0)
        s3 = server.client("s3", retries=0)
        s3.create_bucket(Bucket="rate")  # CreateBucket: a bucket of its own
        started = time.monotonic()
        listed = [outcome(athena.list_databases, CatalogName="AwsDataCatalog")
                  for _ in range(10)]
        objects = [outcome(s3.list_objects_v2, Bucket="rate") for _ in range(10)]
        elapsed = time.monotonic() - started
        for seen, code in ((listed, "ThrottlingException"), (objects, "SlowDown")):
            assert seen[:2] == ["ok", "ok"], seen  # the burst
            assert set(seen) == {"ok", code}, seen
            assert seen.count("ok") <= 2 + int(elapsed) + 1, (seen, elapsed)
        # ListDatabases' empty bucket throttles no other action.
        assert outcome(athena.get_work_group, WorkGroup="primary") == "ok"
        assert outcome(s3.put_object, Bucket="rate", Key="k", Body=b"x") == "ok"
        # The errors are the services' own, as the random throttle answers them.
        with pytest.raises(ClientError) as e:
            for _ in range(3):
                athena.get_work_group(WorkGroup="primary")
        assert error_code(e) == "ThrottlingException"
        assert e.value.response["Error"]["Message"] == "Rate exceeded"
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        with pytest.raises(ClientError) as e:
            for _ in range(3):
                s3.get_object(Bucket="rate", Key="k")
        assert error_code(e) == "SlowDown"
        assert e.value.response["Error"]["Message"] == "Please reduce your request rate."
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
        log = stopped_log(server)
    # The summary counts the throttles by cause, and the rate ones by action.
    rate_listed = listed.count("ThrottlingException")
    rate_objects = objects.count("SlowDown")
    summary = re.search(r"faults: (\d+) requests; throttled (\d+) \(rate (\d+): (.*); random 0\)",
                        log)
    assert summary, log
    throttled = rate_listed + rate_objects + 2
    assert int(summary.group(2)) == int(summary.group(3)) == throttled
    assert summary.group(4) == "GetObject 1, GetWorkGroup 1, ListDatabases %d, ListObjectsV2 %d" % (
        rate_listed, rate_objects)


def test_rate_limit_lets_a_client_below_the_rate_through():
    # 20 requests/s, no burst to speak of: a client pausing 0.1 s between calls (2 tokens'
    # worth) is never throttled, whatever the machine's load (each call starts after the last
    # one's answer, so the server sees them at least 0.1 s apart).
    with AthenaLocal(extra_args=["--rate-limit", "20", "--rate-burst", "1"]) as server:
        athena = server.client("athena", retries=0)
        s3 = server.client("s3", retries=0)
        seen = []
        for _ in range(8):
            seen.append(outcome(athena.list_databases, CatalogName="AwsDataCatalog"))
            time.sleep(0.1)
            seen.append(outcome(s3.list_buckets))
            time.sleep(0.1)
        assert set(seen) == {"ok"}, seen
        log = stopped_log(server)
    assert "faults: 16 requests; throttled 0 (rate 0; random 0); errors 0; dropped 0" in log, log


def test_rate_limit_leaves_the_random_faults_as_they_were():
    def outcomes(*extra):
        args = ["--throttle-rate", "0.4", "--error-rate", "0.2", "--fault-seed", "5", *extra]
        with AthenaLocal(extra_args=args) as server:
            athena = server.client("athena", retries=0)
            return [outcome(athena.list_databases, CatalogName="AwsDataCatalog")
                    for _ in range(16)]

    random_only = outcomes()
    assert {"ok", "ThrottlingException", "InternalServerException"} <= set(random_only)
    # A limit no client here reaches changes nothing; the same seed draws the same faults.
    assert outcomes("--rate-limit", "1000", "--rate-burst", "1000") == random_only
    # A tight one throttles requests the random throttle let through, and only those (the 500s
    # drawn come after the limit, as a throttled call never reaches the service). The random
    # throttles take no token, so the first 3 calls they let through get one.
    both = outcomes("--rate-limit", "1", "--rate-burst", "3")
    assert all(b in (r, "ThrottlingException") for r, b in zip(random_only, both)), both
    reached = [(r, b) for r, b in zip(random_only, both) if r != "ThrottlingException"]
    assert all(r == b for r, b in reached[:3]), both
    assert any(b == "ThrottlingException" for _, b in reached), both


def test_dropped_connections_truncate_s3_bodies():
    from botocore.exceptions import IncompleteReadError, ResponseStreamingError
    with AthenaLocal(extra_args=["--drop-rate", "1.0"]) as server:
        s3 = server.client("s3", retries=1)
        s3.create_bucket(Bucket="drops")  # empty bodies have nothing to cut
        s3.put_object(Bucket="drops", Key="k", Body=b"x" * 100000)
        response = s3.get_object(Bucket="drops", Key="k")
        assert response["ContentLength"] == 100000
        with pytest.raises((IncompleteReadError, ResponseStreamingError)):  # closed mid-body
            response["Body"].read()


def test_seed_folder_with_csv_and_parquet(athena, athena_local, tmp_path):
    # A Parquet file made by UNLOAD on the shared server becomes a seed of a new one.
    target = "s3://%s/%s/" % (RESULTS_BUCKET, unique("seed"))
    _, execution = run_query(athena, "UNLOAD (SELECT customer_id, email FROM test_rows "
                                     "WHERE customer_id <= 3) TO '%s' WITH (format = 'PARQUET')"
                             % target)
    bucket, key = s3_key_of(execution["Statistics"]["DataManifestLocation"])
    s3 = athena_local.client("s3")
    first = s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()[0]
    b, k = s3_key_of(first)
    (tmp_path / "from_parquet.parquet").write_bytes(s3.get_object(Bucket=b, Key=k)["Body"].read())
    (tmp_path / "people.csv").write_text("id,name,joined\n1,Ann,2024-01-02\n2,\"O'Brien, Bo\",\n")
    (tmp_path / "more.sql").write_text("CREATE DATABASE sales;\n"
                                       "CREATE TABLE sales.orders (id int, amount decimal(8,2));\n"
                                       "INSERT INTO sales.orders VALUES (1, 9.5), (2, NULL);\n")
    with AthenaLocal(seeds=[str(tmp_path)]) as server:
        local = server.client("athena")
        qid, _ = run_query(local, "SELECT * FROM from_parquet ORDER BY customer_id")
        assert all_rows(local, qid) == [["customer_id", "email"], ["1", "james.wilson1@example.com"],
                                        ["2", "harper.clark2@example.com"],
                                        ["3", "sebastian.hill3@example.com"]]
        qid, _ = run_query(local, "SELECT id, name, joined FROM people ORDER BY id")
        assert all_rows(local, qid) == [["id", "name", "joined"], ["1", "Ann", "2024-01-02"],
                                        ["2", "O'Brien, Bo", None]]
        qid, _ = run_query(local, "SELECT * FROM orders ORDER BY id", database="sales")
        assert all_rows(local, qid) == [["id", "amount"], ["1", "9.50"], ["2", None]]
        names = [d["Name"] for d in local.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]]
        assert names == ["default", "sales"]


def test_presigned_get_url_and_put_into_a_new_bucket(athena_local):
    import urllib.error
    import urllib.request
    s3 = athena_local.client("s3", signature_version="s3v4")  # SigV4 query auth
    s3.put_object(Bucket="auto-created", Key="p/q.txt", Body=b"presigned!")  # bucket on demand
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "auto-created",
                                                          "Key": "p/q.txt"}, ExpiresIn=60)
    with urllib.request.urlopen(url) as response:
        assert response.read() == b"presigned!"
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(url.replace("Signature=", "Signature=0"))
    assert e.value.code == 403


# ---- what a query reads and costs: DataScannedInBytes, the query log; catalogs of many tables --

CATALOG_SEED = """
CREATE DATABASE sales;
CREATE DATABASE ops;
CREATE TABLE wide_rows (id int, narrow_col varchar, wide_col varchar);
INSERT INTO wide_rows SELECT CAST(i AS integer), 'n', repeat('w', 500) FROM range(2000) t(i);
CREATE TABLE sales.t1 (id int, note string);
CREATE TABLE sales.t2 (id int);
CREATE TABLE sales.t3 (id int);
CREATE TABLE sales.t4 (id int);
CREATE TABLE sales.t5 (id int);
CREATE VIEW sales.recent AS SELECT id, note FROM sales.t1 WHERE id > 10;
CREATE EXTERNAL TABLE sales.events (id int, payload string COMMENT 'the body')
  PARTITIONED BY (dt string, region string) LOCATION 's3://data/events/';
CREATE TABLE ops.a (x int);
CREATE TABLE ops.b (y int);
"""
WIDE_ROWS = 2000
ID_BYTES, NARROW_BYTES, WIDE_BYTES = WIDE_ROWS * 4, WIDE_ROWS * 1, WIDE_ROWS * 500


@pytest.fixture(scope="module")
def catalog_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("catalog")
    (folder / "catalog.sql").write_text(CATALOG_SEED)
    query_log = folder / "queries.jsonl"
    with AthenaLocal(seeds=[str(folder / "catalog.sql")],
                     extra_args=["--query-log", str(query_log)]) as server:
        server.query_log = query_log
        yield server


def logged_queries(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def test_data_scanned_counts_the_columns_a_query_reads(catalog_server):
    athena = catalog_server.client("athena")
    narrow_id, narrow = run_query(athena, "SELECT narrow_col FROM wide_rows WHERE id >= 0")
    star_id, star = run_query(athena, "SELECT * FROM wide_rows")
    assert narrow["Status"]["State"] == star["Status"]["State"] == "SUCCEEDED"
    narrow_bytes = narrow["Statistics"]["DataScannedInBytes"]
    star_bytes = star["Statistics"]["DataScannedInBytes"]
    # The filter's column is read too; the WHERE clause does not reduce what is read.
    assert narrow_bytes == NARROW_BYTES + ID_BYTES
    assert star_bytes == ID_BYTES + NARROW_BYTES + WIDE_BYTES
    assert narrow_bytes * 50 < star_bytes
    for qid, scanned in ((narrow_id, narrow_bytes), (star_id, star_bytes)):
        stats = athena.get_query_runtime_statistics(QueryExecutionId=qid)["QueryRuntimeStatistics"]
        assert stats["Rows"]["InputBytes"] == scanned
        assert stats["OutputStage"]["InputBytes"] == scanned
    _, counted = run_query(athena, "SELECT count(*) FROM wide_rows")
    assert counted["Statistics"]["DataScannedInBytes"] == 0  # no column read

    # The query log: one line per finished execution, the SQL as received, the same bytes.
    lines = {line["id"]: line for line in logged_queries(catalog_server.query_log)}
    assert lines[narrow_id]["sql"] == "SELECT narrow_col FROM wide_rows WHERE id >= 0"
    assert lines[narrow_id]["data_scanned_bytes"] == narrow_bytes
    assert lines[star_id]["data_scanned_bytes"] == star_bytes
    for qid in (narrow_id, star_id):
        line = lines[qid]
        assert line["state"] == "SUCCEEDED" and line["statement_type"] == "DML"
        assert line["catalog"] == "AwsDataCatalog" and line["database"] == "default"
        assert line["workgroup"] == "primary" and "execution_parameters" not in line
        submitted = datetime.datetime.fromisoformat(line["submitted_at"].replace("Z", "+00:00"))
        completed = datetime.datetime.fromisoformat(line["completed_at"].replace("Z", "+00:00"))
        assert submitted <= completed
    # What a test of a connector asserts with it: a column never appears in the SQL sent, a
    # table was never queried.
    assert "wide_col" not in lines[narrow_id]["sql"]
    assert not any("ops.a" in line["sql"] for line in lines.values())


def test_query_log_keeps_parameters_failures_and_cancellations(catalog_server):
    athena = catalog_server.client("athena")
    sql = "SELECT id FROM t2 WHERE id = ? AND note = ?"
    failed_id, failed = run_query(athena, sql, database="sales", ExecutionParameters=["1", "'x'"])
    assert failed["Status"]["State"] == "FAILED"  # t2 has no column note
    param_id, _ = run_query(athena, "SELECT id FROM t1 WHERE id = ?", database="SALES",
                            ExecutionParameters=["7"])
    lines = {line["id"]: line for line in logged_queries(catalog_server.query_log)}
    assert lines[failed_id]["sql"] == sql  # before substitution
    assert lines[failed_id]["execution_parameters"] == ["1", "'x'"]
    assert lines[failed_id]["state"] == "FAILED" and "note" in lines[failed_id]["error"]
    assert lines[failed_id]["data_scanned_bytes"] == 0
    assert lines[param_id]["database"] == "SALES" and lines[param_id]["state"] == "SUCCEEDED"
    # A statement rejected synchronously has no execution and no line.
    before = len(logged_queries(catalog_server.query_log))
    with pytest.raises(ClientError):
        start_query(athena, "SELEC 1")
    assert len(logged_queries(catalog_server.query_log)) == before


def test_list_table_metadata_pages_through_many_tables_per_database(catalog_server):
    athena = catalog_server.client("athena")
    names = [d["Name"] for d in athena.list_databases(CatalogName="AwsDataCatalog")["DatabaseList"]]
    assert names == ["default", "ops", "sales"]
    expected = ["events", "recent", "t1", "t2", "t3", "t4", "t5"]
    pages, token = [], None
    while True:
        kwargs = {"NextToken": token} if token else {}
        page = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="sales",
                                          MaxResults=2, **kwargs)
        pages.append([t["Name"] for t in page["TableMetadataList"]])
        token = page.get("NextToken")
        if not token:
            break
    assert pages == [expected[0:2], expected[2:4], expected[4:6], expected[6:7]]
    # boto3's paginator follows the same tokens.
    paginator = athena.get_paginator("list_table_metadata")
    listed = [t["Name"] for page in paginator.paginate(
        CatalogName="AwsDataCatalog", DatabaseName="sales", PaginationConfig={"PageSize": 2})
        for t in page["TableMetadataList"]]
    assert listed == expected
    ops = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="ops",
                                     MaxResults=2)
    assert [t["Name"] for t in ops["TableMetadataList"]] == ["a", "b"] and "NextToken" not in ops
    # A token is bound to its database.
    first = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="sales",
                                       MaxResults=2)
    with pytest.raises(ClientError) as e:
        athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="ops",
                                   MaxResults=2, NextToken=first["NextToken"])
    assert error_code(e) == "InvalidRequestException"


def test_views_and_partition_keys_in_table_metadata(catalog_server):
    athena = catalog_server.client("athena")
    listed = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="sales",
                                        Expression="recent|events")["TableMetadataList"]
    by_name = {t["Name"]: t for t in listed}
    assert sorted(by_name) == ["events", "recent"]
    view = by_name["recent"]
    assert view["TableType"] == "VIRTUAL_VIEW"
    assert view["Columns"] == [{"Name": "id", "Type": "int"}, {"Name": "note", "Type": "string"}]
    assert view["PartitionKeys"] == []
    events = by_name["events"]
    assert events["TableType"] == "EXTERNAL_TABLE"
    assert events["Columns"] == [{"Name": "id", "Type": "int"},
                                 {"Name": "payload", "Type": "string", "Comment": "the body"}]
    assert events["PartitionKeys"] == [{"Name": "dt", "Type": "string"},
                                       {"Name": "region", "Type": "string"}]
    single = athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="sales",
                                       TableName="recent")["TableMetadata"]
    assert single["TableType"] == "VIRTUAL_VIEW" and single["Columns"] == view["Columns"]


# ---- partitioned tables: a Hive-partitioned seed folder, partition listing, pruning, the cutoff ---

SALES_DAYS = ("2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04")
SALES_PARTITION_BYTES = 10 * 8 + 10 * 8  # id (bigint) and amount (double) of 10 rows


@pytest.fixture(scope="module")
def partitioned_server(tmp_path_factory):
    """sales/dt=<day>/part-0.csv (4 partitions of 10 rows) and an 11 MB table, with a 10 MB
    bytes-scanned cutoff."""
    folder = tmp_path_factory.mktemp("partitioned")
    for day in SALES_DAYS:
        (folder / "sales" / ("dt=" + day)).mkdir(parents=True)
        rows = "".join("%d,%d.5\n" % (int(day[-2:]) * 100 + i, i) for i in range(10))
        (folder / "sales" / ("dt=" + day) / "part-0.csv").write_text("id,amount\n" + rows)
    (folder / "big.sql").write_text(
        "CREATE TABLE big AS SELECT repeat('x', 1000) AS s FROM range(11000) t(i);\n")
    with AthenaLocal(seeds=[str(folder)],
                     extra_args=["--bytes-scanned-cutoff", "10000000"]) as server:
        yield server


def test_seed_folder_partitioned_table_in_the_catalog(partitioned_server):
    athena = partitioned_server.client("athena")
    table = athena.get_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default",
                                      TableName="sales")["TableMetadata"]
    assert table["Columns"] == [{"Name": "id", "Type": "bigint"},
                                {"Name": "amount", "Type": "double"}]
    assert table["PartitionKeys"] == [{"Name": "dt", "Type": "string"}]
    assert table["Parameters"]["recordCount"] == "40"
    assert table["Parameters"]["sizeKey"] == str(4 * SALES_PARTITION_BYTES)
    listed = athena.list_table_metadata(CatalogName="AwsDataCatalog", DatabaseName="default",
                                        Expression="sales")["TableMetadataList"]
    assert listed[0]["PartitionKeys"] == table["PartitionKeys"]
    # SELECT * gives the columns, then the partition keys.
    qid, execution = run_query(athena, "SELECT * FROM sales WHERE id = 101")
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert all_rows(athena, qid) == [["id", "amount", "dt"], ["101", "1.5", "2026-12-01"]]


def test_partitions_table_and_show_partitions_scan_nothing(partitioned_server):
    athena = partitioned_server.client("athena")
    qid, execution = run_query(athena, 'SELECT * FROM "default"."sales$partitions" ORDER BY dt')
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert execution["Statistics"]["DataScannedInBytes"] == 0
    assert all_rows(athena, qid) == [["dt"]] + [[day] for day in SALES_DAYS]
    qid, execution = run_query(athena, "SHOW PARTITIONS sales")
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    assert execution["Statistics"]["DataScannedInBytes"] == 0
    assert all_rows(athena, qid) == [["dt=" + day] for day in SALES_DAYS]
    _, failed = run_query(athena, 'SELECT * FROM "big$partitions"')
    assert failed["Status"]["State"] == "FAILED"
    assert failed["Status"]["StateChangeReason"].startswith("TABLE_NOT_FOUND: ")


def test_data_scanned_is_pruned_to_the_partitions_selected(partitioned_server):
    athena = partitioned_server.client("athena")
    _, full = run_query(athena, "SELECT id, amount FROM sales")
    assert full["Statistics"]["DataScannedInBytes"] == 4 * SALES_PARTITION_BYTES
    _, literal = run_query(athena, "SELECT id, amount FROM sales WHERE dt = '2026-12-02'")
    assert literal["Statistics"]["DataScannedInBytes"] == SALES_PARTITION_BYTES
    qid, param = run_query(athena, "SELECT id FROM sales WHERE dt >= ? AND amount > 0",
                           ExecutionParameters=["'2026-12-03'"])
    assert param["Status"]["State"] == "SUCCEEDED", param["Status"]
    assert param["Statistics"]["DataScannedInBytes"] == 2 * SALES_PARTITION_BYTES
    assert len(all_rows(athena, qid)) == 1 + 2 * 10


def test_bytes_scanned_cutoff_fails_the_query(partitioned_server):
    athena = partitioned_server.client("athena")
    config = athena.get_work_group(WorkGroup="primary")["WorkGroup"]["Configuration"]
    assert config["BytesScannedCutoffPerQuery"] == 10000000
    _, failed = run_query(athena, "SELECT s FROM big")
    assert failed["Status"]["State"] == "FAILED"
    assert failed["Status"]["StateChangeReason"] == "Bytes scanned limit was exceeded"
    assert failed["Status"]["AthenaError"]["ErrorCategory"] == 2
    assert failed["Statistics"]["DataScannedInBytes"] == 10000000
    with pytest.raises(RuntimeError):
        AthenaLocal(extra_args=["--bytes-scanned-cutoff", "9999999"]).start()
