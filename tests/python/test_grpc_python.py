"""Fivetran's SourceConnector protocol from another language: Python stubs generated at test time
from the project's proto files (Debian's protoc + grpc_python_plugin), driving the real
`athena-connector --port N` binary connected to athena-local.

The binary comes from $AC_CONNECTOR_BIN (set by ctest), else the newest build/*/athena-connector.
"""

import datetime
import glob
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import grpc
import pytest

from athena_local import ACCESS_KEY, REGION, SECRET_KEY, SOURCE_DIR

PROTO_DIR = os.path.join(SOURCE_DIR, "proto")
GRPC_PYTHON_PLUGIN = "/usr/bin/grpc_python_plugin"
MAX_MESSAGE_BYTES = 128 * 1024 * 1024


def connector_binary():
    env = os.environ.get("AC_CONNECTOR_BIN")
    if env:
        return env
    candidates = glob.glob(os.path.join(SOURCE_DIR, "build", "*", "athena-connector"))
    if not candidates:
        raise RuntimeError("athena-connector not found: build it or set AC_CONNECTOR_BIN")
    return max(candidates, key=os.path.getmtime)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def sdk():
    """Modules generated from proto/*.proto: (common_pb2, connector_sdk_pb2, connector_sdk_pb2_grpc)."""
    out = tempfile.mkdtemp(prefix="fivetran-sdk-py-")
    protos = [os.path.join(PROTO_DIR, name) for name in ("common.proto", "connector_sdk.proto")]
    subprocess.run(["protoc", "-I", PROTO_DIR, "--python_out=" + out, "--grpc_python_out=" + out,
                    "--plugin=protoc-gen-grpc_python=" + GRPC_PYTHON_PLUGIN] + protos, check=True)
    sys.path.insert(0, out)
    try:
        modules = tuple(importlib.import_module(m)
                        for m in ("common_pb2", "connector_sdk_pb2", "connector_sdk_pb2_grpc"))
    finally:
        sys.path.remove(out)
    return modules


class Connector:
    """athena-connector serving on a free port, stdout (JSON logs) captured to a file."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="athena-connector-grpc-")
        self.port = free_port()
        self.log_path = os.path.join(self.dir, "stdout.log")
        self.err_path = os.path.join(self.dir, "stderr.log")
        with open(self.log_path, "wb") as out, open(self.err_path, "wb") as err:
            self.process = subprocess.Popen([connector_binary(), "--port", str(self.port)],
                                            stdout=out, stderr=err)

    def channel(self, host="127.0.0.1", **kwargs):
        options = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                   ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)]
        channel = grpc.insecure_channel("%s:%d" % (host, self.port), options=options, **kwargs)
        try:
            grpc.channel_ready_future(channel).result(timeout=60)
        except grpc.FutureTimeoutError:
            raise RuntimeError("athena-connector is not serving on port %d:\n%s" % (self.port, self.output()))
        return channel

    def output(self):
        text = ""
        for path in (self.log_path, self.err_path):
            try:
                with open(path, "rb") as f:
                    text += f.read().decode("utf-8", "replace")
            except OSError:
                pass
        return text

    def stdout_lines(self):
        with open(self.log_path, "rb") as f:
            return [line for line in f.read().decode("utf-8").splitlines() if line.strip()]

    def stop(self, timeout=60):
        """SIGTERM, then the exit code (graceful shutdown)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        return self.process.returncode


@pytest.fixture(scope="module")
def connector():
    server = Connector()
    yield server
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="module")
def stub(sdk, connector):
    _, _, rpc = sdk
    channel = connector.channel()
    yield rpc.SourceConnectorStub(channel)
    channel.close()


@pytest.fixture
def config(athena_local):
    return {
        "aws_access_key_id": ACCESS_KEY,
        "aws_secret_access_key": SECRET_KEY,
        "region_name": REGION,
        "database_name": "default",
        "s3_staging_dir": "s3://athena-results/staging/",
        "athena_endpoint_url": athena_local.endpoint,
        "s3_endpoint_url": athena_local.endpoint,
    }


def select_all(sdk, schema_response):
    _, pb, _ = sdk
    selection = pb.Selection(without_schema=pb.TablesWithNoSchema(include_new_tables=True))
    for table in schema_response.without_schema.tables:
        selection.without_schema.tables.add(
            included=True, table_name=table.name, include_new_columns=True,
            columns={c.name: True for c in table.columns})
    return selection


def update(stub, sdk, configuration, selection=None, state_json=None):
    """Runs Update; returns (messages, status code, details)."""
    _, pb, _ = sdk
    request = pb.UpdateRequest(configuration=configuration)
    if selection is not None:
        request.selection.CopyFrom(selection)
    if state_json is not None:
        request.state_json = state_json
    messages = []
    call = stub.Update(request)
    try:
        for message in call:
            messages.append(message)
    except grpc.RpcError:
        pass
    return messages, call.code(), call.details()


def records_of(messages):
    out = []
    for m in messages:
        kind = m.WhichOneof("operation")
        if kind == "records":
            out.extend(m.records.records)
        elif kind == "record":
            out.append(m.record)
    return out


def of_kind(messages, kind):
    return [getattr(m, kind) for m in messages if m.WhichOneof("operation") == kind]


def epoch(*args):
    return int(datetime.datetime(*args, tzinfo=datetime.timezone.utc).timestamp())


def test_configuration_form(stub, sdk):
    common, _, _ = sdk
    form = stub.ConfigurationForm(common.ConfigurationFormRequest())
    assert form.table_selection_supported
    assert not form.schema_selection_supported
    fields = {f.name: f for f in form.fields}
    for key in ("aws_access_key_id", "aws_secret_access_key", "region_name", "database_name", "s3_staging_dir"):
        assert fields[key].required, key
        assert fields[key].label and fields[key].description, key
    assert fields["aws_secret_access_key"].WhichOneof("type") == "text_field"
    assert fields["aws_secret_access_key"].text_field == common.Password
    assert fields["catalog"].default_value == "AwsDataCatalog"
    assert fields["result_fetcher"].WhichOneof("type") == "dropdown_field"
    assert {"credentials", "database", "staging"} <= {t.name for t in form.tests}


def test_setup_tests(stub, sdk, config):
    common, _, _ = sdk
    form = stub.ConfigurationForm(common.ConfigurationFormRequest())
    for test in form.tests:
        response = stub.Test(common.TestRequest(name=test.name, configuration=config))
        assert response.WhichOneof("response") == "success", (test.name, response.failure)
        assert response.success
    bad = dict(config, aws_secret_access_key="definitely-wrong")
    response = stub.Test(common.TestRequest(name="credentials", configuration=bad))
    assert response.WhichOneof("response") == "failure"
    assert "definitely-wrong" not in response.failure
    missing = dict(config)
    del missing["database_name"]
    response = stub.Test(common.TestRequest(name="database", configuration=missing))
    assert "database_name" in response.failure


def test_schema(stub, sdk, config):
    common, pb, _ = sdk
    response = stub.Schema(pb.SchemaRequest(configuration=config))
    assert response.WhichOneof("response") == "without_schema"
    (table,) = response.without_schema.tables
    assert table.name == "customers"
    columns = {c.name: c for c in table.columns}
    assert columns["customer_id"].type == common.LONG and columns["customer_id"].primary_key
    assert columns["first_name"].type == common.STRING and not columns["first_name"].primary_key
    assert columns["signup_date"].type == common.NAIVE_DATE
    assert columns["updated_at"].type == common.NAIVE_DATETIME
    assert columns["is_active"].type == common.BOOLEAN
    value = columns["lifetime_value"]
    assert value.type == common.DECIMAL
    assert value.params.decimal.precision == 12 and value.params.decimal.scale == 2


def test_update_then_resume_from_returned_state(stub, sdk, config):
    common, pb, _ = sdk
    config = dict(config, cursor_column="updated_at")
    schema = stub.Schema(pb.SchemaRequest(configuration=config))
    messages, code, details = update(stub, sdk, config, select_all(sdk, schema))
    assert code == grpc.StatusCode.OK, details
    for m in of_kind(messages, "records"):
        assert 1 <= len(m.records) <= 100
    records = records_of(messages)
    assert len(records) == 300
    by_key = {r.data["customer_id"].long: r for r in records}
    assert len(by_key) == 300
    first = by_key[1]
    assert first.table_name == "customers" and first.type == common.UPSERT
    assert first.data["first_name"].string == "James"
    assert first.data["signup_date"].WhichOneof("inner") == "naive_date"
    assert first.data["signup_date"].naive_date.seconds == epoch(2019, 2, 7)
    assert first.data["updated_at"].naive_datetime.seconds == epoch(2024, 1, 2, 0, 12, 12)
    assert first.data["updated_at"].naive_datetime.nanos == 211000000
    assert first.data["lifetime_value"].decimal == "73.31"
    assert first.data["is_active"].WhichOneof("inner") == "bool"
    checkpoints = of_kind(messages, "checkpoint")
    assert checkpoints and messages[-1].WhichOneof("operation") == "checkpoint"
    state = json.loads(checkpoints[-1].state_json)
    assert state["tables"]["customers"]["status"] == "complete"

    # The second sync resumes from the returned state: only rows at or after the cursor.
    newest = max(r.data["updated_at"].naive_datetime.seconds for r in records)
    again, code, details = update(stub, sdk, config, select_all(sdk, schema), checkpoints[-1].state_json)
    assert code == grpc.StatusCode.OK, details
    newer = records_of(again)
    assert 1 <= len(newer) < 300
    assert all(r.data["updated_at"].naive_datetime.seconds >= newest for r in newer)


def test_database_discovery_selection_and_new_tables(stub, sdk, config, athena):
    """tables = *: Schema lists the database's tables and views from the catalog; Update reads
    only what the selection keeps; a table created between syncs arrives (schema change first)
    when include_new_tables is true and is never queried when it is false."""
    from athena_local import run_query, unique

    common, pb, _ = sdk
    database = unique("disco").replace("-", "_")
    for sql in ["CREATE DATABASE %s" % database,
                "CREATE TABLE %s.orders AS SELECT CAST(i AS bigint) AS order_id, "
                "repeat('x', 200) AS wide, CAST(i AS double) AS total FROM range(1, 251) AS t(i)"
                % database,
                "CREATE TABLE %s.clicks AS SELECT 'page' || CAST(i AS varchar) AS page, "
                "CAST(i AS bigint) AS n FROM range(1, 11) AS t(i)" % database,
                "CREATE VIEW %s.big_orders AS SELECT order_id, total FROM %s.orders "
                "WHERE total > 200" % (database, database)]:
        _, execution = run_query(athena, sql)
        assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    config = dict(config, database_name=database, tables="*",
                  primary_keys=json.dumps({"orders": ["order_id"]}))

    schema = stub.Schema(pb.SchemaRequest(configuration=config))
    tables = {t.name: t for t in schema.without_schema.tables}
    assert set(tables) == {"orders", "clicks", "big_orders"}
    assert [c.name for c in tables["orders"].columns if c.primary_key] == ["order_id"]
    assert not any(c.primary_key for c in tables["clicks"].columns)  # keyless: _fivetran_id

    selection = select_all(sdk, schema)
    for table in selection.without_schema.tables:
        if table.table_name == "orders":
            table.columns["wide"] = False
        if table.table_name == "big_orders":
            table.included = False
    messages, code, details = update(stub, sdk, config, selection)
    assert code == grpc.StatusCode.OK, details
    records = records_of(messages)
    by_table = {}
    for r in records:
        if r.type == common.UPSERT:
            by_table.setdefault(r.table_name, []).append(r)
    assert set(by_table) == {"orders", "clicks"}
    assert len(by_table["orders"]) == 250 and len(by_table["clicks"]) == 10
    assert all("wide" not in r.data for r in by_table["orders"])
    assert all("_fivetran_id" not in r.data for r in by_table["clicks"])  # Fivetran computes it
    state = checkpoint_state = of_kind(messages, "checkpoint")[-1].state_json
    assert set(json.loads(state)["tables"]) == {"orders", "clicks"}

    # A table created between syncs: included with include_new_tables, announced first.
    _, execution = run_query(athena, "CREATE TABLE %s.refunds AS SELECT CAST(1 AS bigint) AS id"
                             % database)
    assert execution["Status"]["State"] == "SUCCEEDED"
    messages, code, details = update(stub, sdk, config, selection, state)
    assert code == grpc.StatusCode.OK, details
    kinds = [m.WhichOneof("operation") for m in messages]
    changes = of_kind(messages, "schema_change")
    assert any(t.name == "refunds" for c in changes for t in c.without_schema.tables)
    first_change = kinds.index("schema_change")
    refunds_at = [i for i, m in enumerate(messages) if m.WhichOneof("operation") == "records"
                  and any(r.table_name == "refunds" for r in m.records.records)]
    assert refunds_at and first_change < refunds_at[0]
    assert not any(r.table_name == "big_orders" for r in records_of(messages))

    # A column added at the source arrives as a schema change of its table (include_new_columns).
    _, execution = run_query(athena, "ALTER TABLE %s.clicks ADD COLUMNS (referrer string)"
                             % database)
    assert execution["Status"]["State"] == "SUCCEEDED", execution["Status"]
    messages, code, details = update(stub, sdk, config, selection, state)
    assert code == grpc.StatusCode.OK, details
    changed = [t for c in of_kind(messages, "schema_change") for t in c.without_schema.tables
               if t.name == "clicks"]
    assert changed and "referrer" in [c.name for c in changed[0].columns]
    assert all("referrer" in r.data for r in records_of(messages)
               if r.table_name == "clicks" and r.type == common.UPSERT)

    # With include_new_tables false, another new table is never read.
    _, execution = run_query(athena, "CREATE TABLE %s.later AS SELECT CAST(1 AS bigint) AS id"
                             % database)
    assert execution["Status"]["State"] == "SUCCEEDED"
    selection.without_schema.include_new_tables = False
    messages, code, details = update(stub, sdk, config, selection, checkpoint_state)
    assert code == grpc.StatusCode.OK, details
    assert not any(r.table_name in ("later", "refunds") for r in records_of(messages))
    assert {r.table_name for r in records_of(messages)} == {"orders", "clicks"}


def test_bad_input(stub, sdk, config):
    _, pb, _ = sdk
    # Missing key: one task, FAILED_PRECONDITION.
    missing = dict(config)
    del missing["s3_staging_dir"]
    messages, code, details = update(stub, sdk, missing)
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    assert [m.WhichOneof("operation") for m in messages] == ["task"]
    assert "s3_staging_dir" in messages[0].task.message

    # Wrong credentials: a task, never the secret.
    messages, code, details = update(stub, sdk, dict(config, aws_secret_access_key="nope-secret"))
    assert code == grpc.StatusCode.FAILED_PRECONDITION, details
    assert len(of_kind(messages, "task")) == 1
    assert "nope-secret" not in messages[-1].task.message

    # Unknown table in the selection: a warning, the rest syncs.
    schema = stub.Schema(pb.SchemaRequest(configuration=config))
    selection = select_all(sdk, schema)
    selection.without_schema.tables.add(included=True, table_name="ghost_table")
    messages, code, details = update(stub, sdk, config, selection)
    assert code == grpc.StatusCode.OK, details
    warnings = of_kind(messages, "warning")
    assert len(warnings) == 1 and "ghost_table" in warnings[0].message
    assert len([r for r in records_of(messages) if r.type == 0]) == 300

    # Malformed state: INVALID_ARGUMENT naming state_json.
    messages, code, details = update(stub, sdk, config, state_json="{\"tables\": [")
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "state_json" in details
    assert messages == []


def test_gzip_and_ipv6(sdk, connector, config):
    _, pb, rpc = sdk
    channel = connector.channel(compression=grpc.Compression.Gzip)
    response = rpc.SourceConnectorStub(channel).Schema(pb.SchemaRequest(configuration=config))
    assert len(response.without_schema.tables) == 1
    channel.close()
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this host")
    try:
        with socket.create_connection(("::1", connector.port), timeout=5):
            pass
    except OSError:
        pytest.skip("IPv6 loopback unavailable")
    channel = connector.channel(host="[::1]")
    form = rpc.SourceConnectorStub(channel).ConfigurationForm(sdk[0].ConfigurationFormRequest())
    assert form.fields
    channel.close()


def test_logs_are_json_lines_and_sigterm_stops_gracefully(connector, stub, sdk):
    # Runs last in this module (pytest keeps file order): stops the shared server.
    assert connector.stop() == 0, connector.output()
    lines = connector.stdout_lines()
    assert lines, connector.output()
    for line in lines:
        entry = json.loads(line)
        assert set(entry) == {"level", "message", "message-origin"}, line
        assert entry["level"] in ("INFO", "WARNING", "SEVERE")
        assert entry["message-origin"] == "sdk_connector"
        assert "definitely-wrong" not in line and "nope-secret" not in line
    messages = [json.loads(line)["message"] for line in lines]
    assert any("SIGTERM" in m for m in messages), messages
