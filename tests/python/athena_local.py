"""Start/stop athena-local and talk to it with boto3 (shared by the Python test suites).

    with AthenaLocal(seeds=[EXAMPLES]) as server:
        athena = server.client("athena")
        qid, execution = run_query(athena, "SELECT 1")

The binary comes from $AC_ATHENA_LOCAL_BIN (set by ctest), else the newest build/*/bin/athena-local.
"""

import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import boto3
from botocore.config import Config

SOURCE_DIR = os.environ.get(
    "AC_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
EXAMPLES = os.path.join(SOURCE_DIR, "examples", "local")
REGION = "us-east-1"
ACCESS_KEY = "test"
SECRET_KEY = "test"
RESULTS_BUCKET = "athena-results"
TERMINAL_STATES = ("SUCCEEDED", "FAILED", "CANCELLED")


def athena_local_binary():
    env = os.environ.get("AC_ATHENA_LOCAL_BIN")
    if env:
        return env
    candidates = glob.glob(os.path.join(SOURCE_DIR, "build", "*", "bin", "athena-local"))
    if not candidates:
        raise RuntimeError("athena-local not found: build it or set AC_ATHENA_LOCAL_BIN")
    return max(candidates, key=os.path.getmtime)


class AthenaLocal:
    """One athena-local process on a free port with its own temporary data directory."""

    def __init__(self, seeds=(), extra_args=(), start_timeout=60):
        self.seeds = list(seeds)
        self.extra_args = [str(a) for a in extra_args]
        self.start_timeout = start_timeout
        self.dir = None
        self.process = None
        self.port = None

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="athena-local-test-")
        port_file = os.path.join(self.dir, "port")
        args = [athena_local_binary(), "--port", "0", "--port-file", port_file,
                "--data-dir", os.path.join(self.dir, "data")]
        for seed in self.seeds:
            args += ["--seed", seed]
        args += self.extra_args
        self.log_path = os.path.join(self.dir, "athena-local.log")
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if os.path.exists(port_file):
                with open(port_file) as f:
                    text = f.read().strip()
                if text:
                    self.port = int(text)
                    return self
            if self.process.poll() is not None:
                raise RuntimeError("athena-local exited during start-up:\n" + self.log())
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("athena-local did not write its port file in time:\n" + self.log())

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    @property
    def endpoint(self):
        return "http://127.0.0.1:%d" % self.port

    @property
    def data_dir(self):
        return os.path.join(self.dir, "data")

    def client(self, service, access_key=ACCESS_KEY, secret_key=SECRET_KEY, retries=None,
               **config):
        if retries is not None:
            config["retries"] = {"max_attempts": retries, "mode": "standard"}
        return boto3.client(
            service, endpoint_url=self.endpoint, region_name=REGION,
            aws_access_key_id=access_key, aws_secret_access_key=secret_key,
            config=Config(**config) if config else None)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def output_location(prefix="results"):
    return "s3://%s/%s/" % (RESULTS_BUCKET, prefix)


def start_query(athena, sql, database="default", output=None, **extra):
    kwargs = dict(QueryString=sql,
                  ResultConfiguration={"OutputLocation": output or output_location()})
    if database is not None:
        kwargs["QueryExecutionContext"] = {"Database": database}
    kwargs.update(extra)
    return athena.start_query_execution(**kwargs)["QueryExecutionId"]


def wait_query(athena, qid, timeout=60):
    deadline = time.monotonic() + timeout
    while True:
        execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if execution["Status"]["State"] in TERMINAL_STATES:
            return execution
        if time.monotonic() > deadline:
            raise TimeoutError("query %s still %s" % (qid, execution["Status"]["State"]))
        time.sleep(0.02)


def run_query(athena, sql, **kwargs):
    """Starts a query and waits for it; returns (query id, QueryExecution)."""
    qid = start_query(athena, sql, **kwargs)
    return qid, wait_query(athena, qid)


def all_rows(athena, qid, page_size=1000):
    """Every row of every GetQueryResults page, as lists of values (None for NULL)."""
    rows = []
    paginator = athena.get_paginator("get_query_results")
    for page in paginator.paginate(QueryExecutionId=qid, PaginationConfig={"PageSize": page_size}):
        for row in page["ResultSet"]["Rows"]:
            rows.append([d.get("VarCharValue") for d in row["Data"]])
    return rows


def s3_key_of(uri):
    """(bucket, key) of an s3:// URI."""
    assert uri.startswith("s3://"), uri
    bucket, _, key = uri[5:].partition("/")
    return bucket, key


def unique(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:12])
