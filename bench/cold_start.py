#!/usr/bin/python3
"""Cold start of the connector's gRPC server: process start to the first answered
ConfigurationForm, over N runs (Python grpcio client polling every few ms), plus the binary's size.

usage: /usr/bin/python3 bench/cold_start.py [BINARY] [RUNS]   (default build/Release/athena-connector, 20)
"""
import importlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

SOURCE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTO_DIR = os.path.join(SOURCE_DIR, "proto")


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else os.path.join(SOURCE_DIR, "build/Release/athena-connector")
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    import grpc
    out = tempfile.mkdtemp(prefix="fivetran-sdk-py-")
    subprocess.run(["protoc", "-I", PROTO_DIR, "--python_out=" + out, "--grpc_python_out=" + out,
                    "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin",
                    os.path.join(PROTO_DIR, "common.proto"), os.path.join(PROTO_DIR, "connector_sdk.proto")],
                   check=True)
    sys.path.insert(0, out)
    common = importlib.import_module("common_pb2")
    rpc = importlib.import_module("connector_sdk_pb2_grpc")
    times, listen_times = [], []
    for _ in range(runs):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        started = time.monotonic()
        process = subprocess.Popen([binary, "--port", str(port)], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        # Wait for the listening socket with plain connects every millisecond (a gRPC channel's
        # reconnect backoff would add its own delay), then ask on a fresh channel.
        while True:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None or time.monotonic() - started > 30:
                raise RuntimeError("the server did not start")
            time.sleep(0.001)
        listening = time.monotonic()
        channel = grpc.insecure_channel("127.0.0.1:%d" % port)
        rpc.SourceConnectorStub(channel).ConfigurationForm(common.ConfigurationFormRequest(), timeout=30,
                                                           wait_for_ready=True)
        times.append((time.monotonic() - started) * 1000)
        listen_times.append((listening - started) * 1000)
        channel.close()
        process.terminate()
        process.wait()
    size = os.path.getsize(binary)
    print("%s: %.1f MB; over %d runs: listening after median %.1f ms (min %.1f); first ConfigurationForm "
          "answered after median %.1f ms (min %.1f, max %.1f)" % (
              binary, size / 1e6, runs, statistics.median(listen_times), min(listen_times),
              statistics.median(times), min(times), max(times)))


if __name__ == "__main__":
    main()
