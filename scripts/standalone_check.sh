#!/usr/bin/env bash
# `make standalone-check`: builds athena-connector as Fivetran does (make build_dependencies, then
# make build_connector with clang-16) and runs it alone in a minimal Debian 12 root
# (tests/standalone/check_standalone.py says what is checked).
#   scripts/standalone_check.sh [TOOLS_BUILD_DIR]   athena-local comes from TOOLS_BUILD_DIR/bin
# AC_STANDALONE_BINARY=path checks that binary instead of building one (e.g. an older build, to see
# the check fail). The root (debootstrap --variant=minbase bookworm) is cached in .deps/rootfs/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"
TOOLS_BUILD_DIR="${1:-build/Release}"
STANDALONE_DIR="build/Standalone"
ROOTFS="${ROOT}/.deps/rootfs/bookworm-minbase"
MIRROR="${AC_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

if [[ "$(id -u)" -ne 0 ]]; then
  echo "standalone-check: needs root (debootstrap, chroot, mount namespaces)" >&2
  exit 2
fi

binary="${AC_STANDALONE_BINARY:-}"
if [[ -z "${binary}" ]]; then
  start=$(date +%s)
  make --no-print-directory build_dependencies CC=clang-16 CXX=clang++-16
  # Fivetran's build: exactly one executable at the top of the build dir.
  make --no-print-directory build_connector CONNECTOR_BUILD_DIR="${STANDALONE_DIR}" CC=clang-16 CXX=clang++-16
  echo "standalone-check: built ${STANDALONE_DIR}/athena-connector with clang-16 in $(( $(date +%s) - start )) s"
  mapfile -t executables < <(find "${STANDALONE_DIR}" -maxdepth 1 -type f -perm -u+x)
  if [[ "${#executables[@]}" -ne 1 || "${executables[0]}" != "${STANDALONE_DIR}/athena-connector" ]]; then
    echo "standalone-check: ${STANDALONE_DIR} holds ${#executables[@]} executables: ${executables[*]}" >&2
    exit 1
  fi
  binary="${STANDALONE_DIR}/athena-connector"
fi

if [[ ! -f "${ROOTFS}/.complete" ]]; then
  echo "standalone-check: creating the minimal Debian 12 root (debootstrap --variant=minbase bookworm)"
  rm -rf "${ROOTFS}.tmp"
  mkdir -p "$(dirname "${ROOTFS}")"
  debootstrap --variant=minbase bookworm "${ROOTFS}.tmp" "${MIRROR}" >"${ROOT}/.deps/rootfs/debootstrap.log" 2>&1 ||
    { tail -n 20 "${ROOT}/.deps/rootfs/debootstrap.log" >&2; exit 1; }
  rm -rf "${ROOTFS}" && mv "${ROOTFS}.tmp" "${ROOTFS}" && touch "${ROOTFS}/.complete"
fi

work="${ROOT}/build/standalone-run"
rm -rf "${work}"
/usr/bin/python3 tests/standalone/check_standalone.py --binary "${binary}" \
  --athena-local "${TOOLS_BUILD_DIR}/bin/athena-local" --rootfs "${ROOTFS}" --work "${work}"
