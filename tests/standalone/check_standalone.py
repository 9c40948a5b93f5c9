#!/usr/bin/python3
"""Runs athena-connector alone in a minimal Debian 12 root, as Fivetran runs it in its container.

The root is a copy of `debootstrap --variant=minbase bookworm` (cached by
scripts/standalone_check.sh) with the time zone database, libstdc++ and libgcc_s taken out, so the
binary finds nothing but glibc and the base system; the binary is the only file copied in (plus a
configuration file for `debug`). athena-local runs outside the root on loopback with
examples/local/ and shows `timestamp with time zone` values in America/Los_Angeles, so a named
zone must be resolved from the data inside the binary.

Checks: the binary's dynamic dependencies are glibc's alone; `--help`; the gRPC server on a loopback
port answering ConfigurationForm, every setup Test, Schema and a full Update driven by Python's
grpcio; `debug` into a DuckDB warehouse, read back with `show`; an HTTPS endpoint failing at
once with the missing-CA message (the root has no CA certificates). Measures binary size and cold start
(process start to the first answered ConfigurationForm). Prints 'N passed, N failed'; exits non-zero
when any check fails.

usage: check_standalone.py --binary B --athena-local A --rootfs DIR --work DIR
"""

import argparse
import datetime
import importlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PROTO_DIR = os.path.join(SOURCE_DIR, "proto")
GRPC_PYTHON_PLUGIN = "/usr/bin/grpc_python_plugin"
ACCESS_KEY, SECRET_KEY, REGION = "test", "test", "us-east-1"
DISPLAY_ZONE = "America/Los_Angeles"
# glibc's own libraries: the only dynamic dependencies the binary may have.
GLIBC_LIBRARIES = {"linux-vdso.so.1", "ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6",
                   "libpthread.so.0", "libdl.so.2", "librt.so.1"}
INNER_BINARY = "/athena-connector"
INNER_WORK = "/work"


def epoch(*args):
    return int(datetime.datetime(*args, tzinfo=datetime.timezone.utc).timestamp())


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Checks:
    def __init__(self):
        self.passed, self.failed = [], []

    def run(self, name, fn, *args):
        try:
            detail = fn(*args)
            self.passed.append(name)
            print("  ok    %s%s" % (name, (": " + detail) if detail else ""), flush=True)
            return True
        except Exception as e:  # noqa: BLE001 - every failure is reported, then the next check runs
            self.failed.append(name)
            print("  FAIL  %s: %s" % (name, e), flush=True)
            if os.environ.get("AC_STANDALONE_VERBOSE"):
                traceback.print_exc()
            return False


class Root:
    """A fresh copy of the cached minimal root; commands run in it with chroot, in their own mount
    namespace with /proc mounted (as in a container)."""

    def __init__(self, cache, work, binary):
        self.dir = os.path.join(work, "root")
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)
        subprocess.run(["cp", "-a", cache, self.dir], check=True)
        # Nothing a container image need have: no tz database, no C++ runtime, no CA certificates.
        shutil.rmtree(os.path.join(self.dir, "usr/share/zoneinfo"), ignore_errors=True)
        for folder in ("usr/lib/x86_64-linux-gnu", "lib/x86_64-linux-gnu"):
            path = os.path.join(self.dir, folder)
            if os.path.isdir(path) and not os.path.islink(path):
                for name in os.listdir(path):
                    if name.startswith(("libstdc++.so", "libgcc_s.so")):
                        os.remove(os.path.join(path, name))
        shutil.copy2(binary, os.path.join(self.dir, INNER_BINARY.lstrip("/")))
        os.makedirs(os.path.join(self.dir, INNER_WORK.lstrip("/")), exist_ok=True)

    def path(self, inner):
        return os.path.join(self.dir, inner.lstrip("/"))

    def command(self, args):
        script = ('mount -t proc proc "$1/proc" && root="$1" && shift && '
                  'exec chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root "$@"')
        return ["unshare", "--mount", "--fork", "--kill-child=SIGTERM", "--propagation", "private",
                "sh", "-c", script, "sh", self.dir] + list(args)

    def run(self, args, timeout=300):
        return subprocess.run(self.command(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=timeout, text=True, errors="replace")


class AthenaLocal:
    def __init__(self, binary, work):
        self.dir = tempfile.mkdtemp(prefix="athena-local-", dir=work)
        port_file = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "log"), "wb")
        self.process = subprocess.Popen(
            [binary, "--port", "0", "--port-file", port_file, "--data-dir", os.path.join(self.dir, "data"),
             "--seed", os.path.join(SOURCE_DIR, "examples", "local"), "--time-zone", DISPLAY_ZONE],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not (os.path.exists(port_file) and os.path.getsize(port_file) > 0):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("athena-local did not start")
            time.sleep(0.05)
        with open(port_file) as f:
            self.endpoint = "http://127.0.0.1:%d" % int(f.read().strip())

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def load_sdk(work):
    out = tempfile.mkdtemp(prefix="fivetran-sdk-py-", dir=work)
    protos = [os.path.join(PROTO_DIR, name) for name in ("common.proto", "connector_sdk.proto")]
    subprocess.run(["protoc", "-I", PROTO_DIR, "--python_out=" + out, "--grpc_python_out=" + out,
                    "--plugin=protoc-gen-grpc_python=" + GRPC_PYTHON_PLUGIN] + protos, check=True)
    sys.path.insert(0, out)
    return tuple(importlib.import_module(m) for m in ("common_pb2", "connector_sdk_pb2", "connector_sdk_pb2_grpc"))


def configuration(endpoint):
    return {
        "aws_access_key_id": ACCESS_KEY, "aws_secret_access_key": SECRET_KEY, "region_name": REGION,
        "database_name": "default", "s3_staging_dir": "s3://athena-results/staging/",
        "athena_endpoint_url": endpoint, "s3_endpoint_url": endpoint,
        "tables": json.dumps([
            {"source_table": "test_rows", "destination_table": "customers", "primary_key": "customer_id"},
            {"source_table": "types", "destination_table": "types", "primary_key": "id"},
        ]),
    }


# -- the checks -------------------------------------------------------------------------------------

def check_dynamic_dependencies(binary):
    needed = []
    for line in subprocess.run(["readelf", "-d", binary], stdout=subprocess.PIPE, text=True,
                               check=True).stdout.splitlines():
        if "(NEEDED)" in line:
            needed.append(line.split("[", 1)[1].rstrip("]"))
    ldd = subprocess.run(["ldd", binary], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
    resolved = [line.split()[0] for line in ldd.splitlines() if line.strip()]
    extra = sorted(set(os.path.basename(n) for n in needed + resolved) - GLIBC_LIBRARIES)
    if extra:
        raise AssertionError("needs %d libraries beyond glibc: %s" % (len(extra), ", ".join(extra)))
    return "NEEDED " + ", ".join(needed)


def check_help(root):
    result = root.run([INNER_BINARY, "--help"], timeout=60)
    if result.returncode != 0 or "debug" not in result.stdout:
        raise AssertionError("exit %d: %s" % (result.returncode, result.stdout.strip()[-2000:]))
    return "exit 0"


class Server:
    def __init__(self, root, sdk):
        import grpc
        self.grpc = grpc
        self.sdk = sdk
        self.port = free_port()
        self.log_path = os.path.join(root.dir, "..", "server.log")
        self.log = open(self.log_path, "wb")
        self.started = time.monotonic()
        self.process = subprocess.Popen(root.command([INNER_BINARY, "--port", str(self.port)]),
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.channel = grpc.insecure_channel("127.0.0.1:%d" % self.port,
                                             options=[("grpc.max_receive_message_length", 128 << 20)])
        self.stub = sdk[2].SourceConnectorStub(self.channel)
        self.form = None
        self.cold_start_ms = None

    def first_form(self):
        common = self.sdk[0]
        deadline = self.started + 60
        # Wait for the listening socket with plain connects every millisecond (a gRPC channel's
        # reconnect backoff would add its own delay to the cold start), then ask.
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    break
            if self.process.poll() is not None:
                raise RuntimeError("the server exited with %s: %s" % (self.process.returncode, self.output()))
            if time.monotonic() > deadline:
                raise RuntimeError("the server is not listening on port %d after 60 s" % self.port)
            time.sleep(0.001)
        self.form = self.stub.ConfigurationForm(common.ConfigurationFormRequest(), timeout=30, wait_for_ready=True)
        self.cold_start_ms = (time.monotonic() - self.started) * 1000

    def output(self):
        self.log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")[-3000:]

    def stop(self):
        self.channel.close()
        if self.process.poll() is None:
            # unshare --fork ignores SIGTERM while it waits: signal its child, the connector itself
            # (sh, chroot and env exec into it).
            try:
                with open("/proc/%d/task/%d/children" % (self.process.pid, self.process.pid)) as f:
                    children = [int(pid) for pid in f.read().split()]
            except OSError:
                children = []
            for pid in children or [self.process.pid]:
                os.kill(pid, signal.SIGTERM)
            try:
                return self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
                raise
        self.log.close()
        return self.process.returncode


def check_configuration_form(server):
    server.first_form()
    names = {f.name for f in server.form.fields}
    missing = {"aws_access_key_id", "aws_secret_access_key", "region_name", "database_name", "s3_staging_dir"} - names
    if missing:
        raise AssertionError("fields missing: %s" % sorted(missing))
    return "%d fields, %d tests, first answer %.0f ms after start" % (
        len(server.form.fields), len(server.form.tests), server.cold_start_ms)


def check_setup_tests(server, config):
    common = server.sdk[0]
    for test in server.form.tests:
        response = server.stub.Test(common.TestRequest(name=test.name, configuration=config), timeout=120)
        if response.WhichOneof("response") != "success":
            raise AssertionError("test %s: %s" % (test.name, response.failure))
    return ", ".join(t.name for t in server.form.tests)


def check_schema(server, config, found):
    pb = server.sdk[1]
    response = server.stub.Schema(pb.SchemaRequest(configuration=config), timeout=120)
    tables = {t.name: t for t in response.without_schema.tables}
    if set(tables) != {"customers", "types"}:
        raise AssertionError("tables %s" % sorted(tables))
    found["schema"] = response
    return "%s" % ", ".join("%s (%d columns)" % (n, len(t.columns)) for n, t in sorted(tables.items()))


def check_update(server, config, found):
    common, pb, _ = server.sdk
    selection = pb.Selection(without_schema=pb.TablesWithNoSchema(include_new_tables=True))
    for table in found["schema"].without_schema.tables:
        selection.without_schema.tables.add(included=True, table_name=table.name, include_new_columns=True,
                                            columns={c.name: True for c in table.columns})
    call = server.stub.Update(pb.UpdateRequest(configuration=config, selection=selection), timeout=300)
    records, checkpoints = [], 0
    for message in call:
        kind = message.WhichOneof("operation")
        if kind == "records":
            records.extend(message.records.records)
        elif kind == "record":
            records.append(message.record)
        elif kind == "checkpoint":
            checkpoints += 1
        elif kind == "task":
            raise AssertionError("task: %s" % message.task.message)
    by_table = {}  # upserts (a full refresh also sends one TRUNCATE per table first)
    for record in records:
        if record.type == common.UPSERT:
            by_table.setdefault(record.table_name, []).append(record)
    if len(by_table.get("customers", [])) != 300:
        raise AssertionError("customers: %d records" % len(by_table.get("customers", [])))
    types = {r.data["id"].int if r.data["id"].WhichOneof("inner") == "int" else r.data["id"].long: r
             for r in by_table.get("types", [])}
    zoned = types[1].data["c_timestamp_tz"]
    want = epoch(2024, 1, 31, 13, 14, 15)
    if zoned.WhichOneof("inner") != "utc_datetime" or zoned.utc_datetime.seconds != want or \
            zoned.utc_datetime.nanos != 678000000:
        raise AssertionError("types.c_timestamp_tz of row 1: %s (want %d.678 s)" % (zoned, want))
    if not checkpoints:
        raise AssertionError("no checkpoint")
    return "%d records (customers 300, types %d), %d checkpoints; '... %s' read as 2024-01-31T13:14:15.678Z" % (
        len(records), len(types), checkpoints, DISPLAY_ZONE)


def check_debug(root, endpoint):
    with open(root.path(INNER_WORK + "/configuration.json"), "w") as f:
        json.dump(configuration(endpoint), f)
    result = root.run([INNER_BINARY, "debug", "--configuration", INNER_WORK + "/configuration.json",
                       "--working-dir", INNER_WORK + "/files"])
    if result.returncode != 0 or "Sync SUCCEEDED" not in result.stdout:
        raise AssertionError("exit %d: %s" % (result.returncode, result.stdout.strip()[-2000:]))
    if not os.path.getsize(root.path(INNER_WORK + "/files/warehouse.db")):
        raise AssertionError("no warehouse.db")
    shown = root.run([INNER_BINARY, "show", "types", "--working-dir", INNER_WORK + "/files", "--limit", "5"])
    if shown.returncode != 0 or "2024-01-31 13:14:15.678" not in shown.stdout:
        raise AssertionError("show types: %s" % shown.stdout.strip()[-2000:])
    customers = root.run([INNER_BINARY, "show", "customers", "--working-dir", INNER_WORK + "/files", "--limit", "3"])
    if customers.returncode != 0 or "James" not in customers.stdout:
        raise AssertionError("show customers: %s" % customers.stdout.strip()[-2000:])
    return "Sync SUCCEEDED; warehouse.db holds customers and types (c_timestamp_tz 2024-01-31 13:14:15.678 UTC)"


def check_no_ca_certificates(root):
    """The bare root has no CA certificates: an HTTPS endpoint fails at once with one line saying
    what to do (a configuration error, exit 2), not after retries."""
    with open(root.path(INNER_WORK + "/https.json"), "w") as f:
        json.dump(dict(configuration("https://127.0.0.1:9")), f)
    started = time.monotonic()
    result = root.run([INNER_BINARY, "debug", "--configuration", INNER_WORK + "/https.json",
                       "--working-dir", INNER_WORK + "/https-files"], timeout=120)
    seconds = time.monotonic() - started
    if result.returncode != 2 or "no CA certificates found" not in result.stdout or "ca_bundle" not in result.stdout:
        raise AssertionError("exit %d: %s" % (result.returncode, result.stdout.strip()[-1500:]))
    if seconds > 10:
        raise AssertionError("took %.1f s: the missing trust store was retried" % seconds)
    return "exit 2 after %.1f s: %s" % (seconds, result.stdout.strip().splitlines()[-1][:120])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--athena-local", required=True)
    parser.add_argument("--rootfs", required=True, help="the cached minimal root (read, never changed)")
    parser.add_argument("--work", required=True)
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    checks = Checks()
    size = os.path.getsize(args.binary)
    print("standalone-check: %s (%.1f MB) in a minimal Debian 12 root" % (args.binary, size / 1e6), flush=True)
    checks.run("dynamic dependencies are glibc's alone", check_dynamic_dependencies, args.binary)
    root = Root(args.rootfs, args.work, args.binary)
    checks.run("--help", check_help, root)
    emulator = AthenaLocal(args.athena_local, args.work)
    try:
        config = configuration(emulator.endpoint)
        sdk = load_sdk(args.work)
        server = Server(root, sdk)
        try:
            if checks.run("gRPC ConfigurationForm", check_configuration_form, server):
                checks.run("gRPC Test (every setup test)", check_setup_tests, server, config)
                found = {}
                if checks.run("gRPC Schema", check_schema, server, config, found):
                    checks.run("gRPC Update (full sync, named time zone)", check_update, server, config, found)
        finally:
            code = server.stop()
            if code not in (0, None) and not checks.failed:
                checks.failed.append("server exit")
                print("  FAIL  the server exited with %s on SIGTERM: %s" % (code, server.output()))
        checks.run("debug into a warehouse, show", check_debug, root, emulator.endpoint)
        checks.run("HTTPS without CA certificates: one clear error", check_no_ca_certificates, root)
    finally:
        emulator.stop()
    if server.cold_start_ms is not None:
        print("binary size: %d bytes (%.1f MB); cold start to first ConfigurationForm: %.0f ms"
              % (size, size / 1e6, server.cold_start_ms))
    print("%d passed, %d failed" % (len(checks.passed), len(checks.failed)))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
