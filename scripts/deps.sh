#!/usr/bin/env bash
# Installs everything the build, tests, demo and benchmarks need on Debian 12. Idempotent: a fast
# no-op when all is present. The one list of packages lives here.
set -euo pipefail

# Debian packages: toolchains (g++ 12 and Fivetran's clang-16, clang-format-16 for `make format`),
# the static archives the connector links (gRPC, protobuf, OpenSSL, zlib), header-only libraries, the tz database that is embedded in
# the binary, the tools that fetch and build DuckDB/libcurl/simdjson from source
# (scripts/build_static_deps.sh), debootstrap for `make standalone-check`, and the real peers the
# tests use (boto3, grpcio). libclang-rt-16-dev: clang's sanitizer and libFuzzer runtimes (make fuzz).
APT_PACKAGES=(
  build-essential dpkg-dev cmake ninja-build pkg-config git ca-certificates clang-16 lld-16
  libclang-rt-16-dev
  clang-format-16
  libssl-dev zlib1g-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  nlohmann-json3-dev libcli11-dev libspdlog-dev libfmt-dev libcpp-httplib-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  tzdata time debootstrap
  python3 python3-boto3 python3-grpcio python3-pytest
  npm
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

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

# DuckDB, libcurl (HTTP/HTTPS only) and simdjson as static archives under .deps/static/ (built once).
bash "${ROOT}/scripts/build_static_deps.sh"
