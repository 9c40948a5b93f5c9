"""Secrets never appear anywhere: the main scenarios run with a distinctive secret access key and
session token, and every output is searched for them — and for every 8-character piece of them.

Scenarios: a `debug` sync into the warehouse (and `show` of it), failing syncs (athena-local
accepting another secret: the signature does not match; an unknown access key id; with and
without the setup tests), configurations with a JSON syntax error inside the secret, and the gRPC
server (ConfigurationForm, every setup Test, Schema, Update — with the right and the wrong
credentials). Outputs searched: stdout and stderr of every process, the connector's JSON logs,
every file a `debug` run leaves (state.json, warehouse.db, ...), athena-local's log (one line per
request) and query log, and every gRPC response, status detail and trailing metadata.
"""

import json
import os
import random
import shutil
import string
import subprocess
import tempfile

import grpc
import pytest

from athena_local import EXAMPLES, REGION, AthenaLocal
from test_grpc_python import Connector, connector_binary, sdk, select_all  # noqa: F401 (fixture)

_RNG = random.Random(20261207)
_ALPHABET = string.ascii_letters + string.digits + "+/"
# 40 characters, like an AWS secret access key; a session token of a few hundred.
SECRET = "SECRETfeedface" + "".join(_RNG.choice(_ALPHABET) for _ in range(26))
TOKEN = "TOKENdeadbeef" + "".join(_RNG.choice(_ALPHABET) for _ in range(250))
ACCESS_KEY_ID = "TESTKEYIDSOAK00001"  # not a secret, and not shaped like an AWS key id
OTHER_SECRET = "athena-local-accepts-only-this-other-secret"
PIECE = 8


def _pieces():
    out = []
    for name, value in (("secret access key", SECRET), ("session token", TOKEN)):
        for i in range(len(value) - PIECE + 1):
            out.append((name, value[i:i + PIECE].encode()))
    return out


PIECES = _pieces()


class Outputs:
    """Everything a scenario produced, by label."""

    def __init__(self):
        self.items = []

    def add(self, label, data):
        if data is None:
            return
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        self.items.append((label, bytes(data)))

    def add_file(self, path, label=None):
        with open(path, "rb") as f:
            self.add(label or path, f.read())

    def add_tree(self, root, label):
        for folder, _, files in os.walk(root):
            for name in files:
                path = os.path.join(folder, name)
                self.add_file(path, "%s/%s" % (label, os.path.relpath(path, root)))

    def assert_clean(self):
        assert self.items, "nothing was collected"
        leaks = []
        for label, data in self.items:
            for name, piece in PIECES:
                if piece in data:
                    at = data.find(piece)
                    leaks.append("%s contains %r of the %s: ...%r..." % (
                        label, piece.decode(), name, data[max(0, at - 60):at + 60]))
                    break
        assert not leaks, "\n".join(leaks)


def _configuration(endpoint, **overrides):
    config = {
        "aws_access_key_id": ACCESS_KEY_ID,
        "aws_secret_access_key": SECRET,
        "aws_session_token": TOKEN,
        "region_name": REGION,
        "database_name": "default",
        "s3_staging_dir": "s3://athena-results/staging/",
        "athena_endpoint_url": endpoint,
        "s3_endpoint_url": endpoint,
        "source_table": "test_rows",
        "destination_table": "customers",
        "primary_key": "customer_id",
        "retry_max_seconds": "5",
        "retry_base_delay_ms": "10",
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="module")
def work():
    path = tempfile.mkdtemp(prefix="ac-secrets-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def logged_athena_local(work, name, secret):
    """athena-local that accepts ACCESS_KEY_ID with `secret`; requests and queries logged."""
    query_log = os.path.join(work, name + "-queries.jsonl")
    server = AthenaLocal(seeds=[EXAMPLES], extra_args=[
        "--access-key-id", ACCESS_KEY_ID, "--secret-access-key", secret,
        "--log-level", "debug", "--query-log", query_log])
    server.start()
    server.query_log = query_log
    return server


@pytest.fixture(scope="module")
def right(work):
    """athena-local accepting the secret."""
    server = logged_athena_local(work, "right", SECRET)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def wrong(work):
    """athena-local with the same access key id and another secret."""
    server = logged_athena_local(work, "wrong", OTHER_SECRET)
    yield server
    server.stop()


def _add_athena_local(outputs, server, label):
    outputs.add(label + " log", server.log())
    if os.path.exists(server.query_log):
        outputs.add_file(server.query_log, label + " query log")


def _run(outputs, label, args, cwd):
    done = subprocess.run([os.path.abspath(connector_binary())] + args, cwd=cwd,
                          capture_output=True, timeout=300)
    outputs.add(label + " stdout", done.stdout)
    outputs.add(label + " stderr", done.stderr)
    return done


def _write_config(path, config):
    with open(path, "w") as f:
        json.dump(config, f)
    return path


def test_debug_sync_and_show(right, work):
    outputs = Outputs()
    folder = os.path.join(work, "debug-ok")
    os.makedirs(folder)
    config = _write_config(os.path.join(folder, "configuration.json"),
                           _configuration(right.endpoint))
    files = os.path.join(folder, "files")
    done = _run(outputs, "debug --test", ["debug", "--configuration", config, "--working-dir",
                                          files, "--no-progress", "--test"], folder)
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    assert b"Sync SUCCEEDED" in done.stdout
    # A second run resumes from the state (incremental nothing, full refresh again).
    done = _run(outputs, "debug again", ["debug", "--configuration", config, "--working-dir",
                                         files, "--no-progress"], folder)
    assert done.returncode == 0, done.stdout.decode() + done.stderr.decode()
    done = _run(outputs, "show", ["show", "customers", "--working-dir", files], folder)
    assert done.returncode == 0, done.stderr.decode()
    assert os.path.exists(os.path.join(files, "warehouse.db"))
    assert os.path.exists(os.path.join(files, "state.json"))
    outputs.add_tree(files, "debug working dir")
    _add_athena_local(outputs, right, "athena-local")
    outputs.assert_clean()


@pytest.mark.parametrize("case", ["signature", "unknown-key", "signature-with-tests"])
def test_failing_syncs(wrong, work, case):
    outputs = Outputs()
    folder = os.path.join(work, "debug-" + case)
    os.makedirs(folder)
    overrides = {"aws_access_key_id": "TESTKEYIDUNKNOWN02"} if case == "unknown-key" else {}
    config = _write_config(os.path.join(folder, "configuration.json"),
                           _configuration(wrong.endpoint, **overrides))
    files = os.path.join(folder, "files")
    args = ["debug", "--configuration", config, "--working-dir", files, "--no-progress"]
    if case.endswith("with-tests"):
        args.append("--test")
    done = _run(outputs, "debug " + case, args, folder)
    assert done.returncode == 3, done.stdout.decode() + done.stderr.decode()
    assert b"Sync FAILED" in done.stdout or b"FAILED" in done.stdout, done.stdout.decode()
    if os.path.isdir(files):
        outputs.add_tree(files, "debug working dir")
    _add_athena_local(outputs, wrong, "athena-local")
    outputs.assert_clean()


@pytest.mark.parametrize("broken", [
    # An escape JSON does not have, inside the secret.
    '"aws_secret_access_key": "%s\\q%s"' % (SECRET[:20], SECRET[20:]),
    # The secret's string never ends.
    '"aws_secret_access_key": "%s\n' % SECRET,
    # A raw control character inside the secret.
    '"aws_secret_access_key": "%s\x01%s"' % (SECRET[:20], SECRET[20:]),
    # The token, then a missing comma.
    '"aws_secret_access_key": "%s" "aws_session_token": "%s"' % (SECRET, TOKEN),
], ids=["bad-escape", "unterminated", "control-character", "missing-comma"])
def test_configuration_with_a_json_syntax_error_inside_the_secret(right, work, broken):
    outputs = Outputs()
    folder = tempfile.mkdtemp(dir=work, prefix="bad-json-")
    path = os.path.join(folder, "configuration.json")
    with open(path, "w") as f:
        f.write('{"aws_access_key_id": "%s", %s, "region_name": "%s", "database_name": "default", '
                '"s3_staging_dir": "s3://athena-results/staging/", "athena_endpoint_url": "%s"}'
                % (ACCESS_KEY_ID, broken, REGION, right.endpoint))
    files = os.path.join(folder, "files")
    done = _run(outputs, "debug", ["debug", "--configuration", path, "--working-dir", files,
                                   "--no-progress"], folder)
    assert done.returncode == 2, done.stdout.decode() + done.stderr.decode()
    assert b"not valid JSON" in done.stdout + done.stderr, done.stdout.decode()
    if os.path.isdir(files):
        outputs.add_tree(files, "debug working dir")
    outputs.assert_clean()


def _call(outputs, label, function, request):
    """A unary call; its response or its error (details, trailing metadata) goes to outputs."""
    try:
        response = function(request)
        outputs.add(label, str(response))
        return response
    except grpc.RpcError as e:
        outputs.add(label + " status", "%s %s %s" % (e.code(), e.details(), e.trailing_metadata()))
        return None


def _update(outputs, label, stub, request):
    call = stub.Update(request)
    messages = []
    try:
        for message in call:
            messages.append(message)
            outputs.add(label + " message", str(message))
    except grpc.RpcError:
        pass
    outputs.add(label + " status", "%s %s %s" % (call.code(), call.details(),
                                                 call.trailing_metadata()))
    return messages, call.code()


def test_grpc_server(right, wrong, sdk):  # noqa: F811 (the fixture)
    common, pb, rpc = sdk
    outputs = Outputs()
    server = Connector()
    try:
        channel = server.channel()
        stub = rpc.SourceConnectorStub(channel)
        form = _call(outputs, "ConfigurationForm", stub.ConfigurationForm,
                     common.ConfigurationFormRequest())
        assert form is not None and form.tests
        for name, server_side, expect_ok in (("right", right, True), ("wrong", wrong, False)):
            config = _configuration(server_side.endpoint)
            passed = []
            for test in form.tests:
                response = _call(outputs, "Test %s %s" % (test.name, name), stub.Test,
                                 common.TestRequest(name=test.name, configuration=config))
                passed.append(response is not None and response.success)
            assert all(passed) == expect_ok, passed
            schema = _call(outputs, "Schema " + name, stub.Schema,
                           pb.SchemaRequest(configuration=config))
            request = pb.UpdateRequest(configuration=config)
            if schema is not None:
                request.selection.CopyFrom(select_all(sdk, schema))
            messages, code = _update(outputs, "Update " + name, stub, request)
            if expect_ok:
                assert code == grpc.StatusCode.OK
                checkpoints = [m.checkpoint.state_json for m in messages
                               if m.WhichOneof("operation") == "checkpoint"]
                assert checkpoints
                # A resumed Update from the last state.
                request.state_json = checkpoints[-1]
                _, code = _update(outputs, "Update again " + name, stub, request)
                assert code == grpc.StatusCode.OK
            else:
                failed = code != grpc.StatusCode.OK or any(
                    m.WhichOneof("operation") == "task" for m in messages)
                assert failed, code
        channel.close()
    finally:
        server.stop()
        outputs.add("connector stdout (JSON logs) and stderr", server.output())
        shutil.rmtree(server.dir, ignore_errors=True)
    _add_athena_local(outputs, right, "athena-local (right)")
    _add_athena_local(outputs, wrong, "athena-local (wrong)")
    outputs.assert_clean()
