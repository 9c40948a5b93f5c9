#!/usr/bin/env bash
# Installs everything the build, tests, demo and benchmarks need on Debian 12. Idempotent: a fast
# no-op when all is present. The one list of packages lives here.
set -euo pipefail

# Debian packages: toolchain, libraries, and the real peers the tests use (boto3, grpcio).
APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libcurl4-openssl-dev libssl-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libsimdjson-dev nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  tzdata time
  python3 python3-boto3 python3-grpcio python3-pytest
  npm
)
# DuckDB 1.4.4: the official prebuilt C library and its header, from the npm registry.
DUCKDB_LIB_PACKAGE="@duckdb/node-bindings-linux-x64@1.4.4-r.4"
DUCKDB_HEADER_PACKAGE="duckdb@1.4.4"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DUCKDB_DIR="${ROOT}/.deps/duckdb"

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  # npm may come from elsewhere (e.g. NodeSource); accept any working npm.
  if [[ "${pkg}" == npm ]] && command -v npm >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q "install ok installed" || missing+=("${pkg}")
done
if ((${#missing[@]})); then
  echo "deps: installing Debian packages: ${missing[*]}"
  SUDO=""
  [[ "$(id -u)" -ne 0 ]] && SUDO="sudo"
  ${SUDO} apt-get update -qq
  DEBIAN_FRONTEND=noninteractive ${SUDO} apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ ! -f "${DUCKDB_DIR}/lib/libduckdb.so" || ! -f "${DUCKDB_DIR}/include/duckdb.h" ]]; then
  echo "deps: fetching DuckDB (${DUCKDB_LIB_PACKAGE}, header from ${DUCKDB_HEADER_PACKAGE})"
  tmp="$(mktemp -d)"
  trap 'rm -rf "${tmp}"' EXIT
  (cd "${tmp}" && npm pack --silent "${DUCKDB_LIB_PACKAGE}" "${DUCKDB_HEADER_PACKAGE}" >/dev/null)
  mkdir -p "${tmp}/lib" "${tmp}/hdr" "${DUCKDB_DIR}/lib" "${DUCKDB_DIR}/include"
  tar -xzf "${tmp}"/duckdb-node-bindings-linux-x64-*.tgz -C "${tmp}/lib"
  tar -xzf "${tmp}"/duckdb-1.4.4.tgz -C "${tmp}/hdr" package/src/duckdb/src/include/duckdb.h
  cp "$(find "${tmp}/lib" -name libduckdb.so | head -n1)" "${DUCKDB_DIR}/lib/libduckdb.so"
  cp "${tmp}/hdr/package/src/duckdb/src/include/duckdb.h" "${DUCKDB_DIR}/include/duckdb.h"
  test -s "${DUCKDB_DIR}/lib/libduckdb.so" && test -s "${DUCKDB_DIR}/include/duckdb.h"
fi
