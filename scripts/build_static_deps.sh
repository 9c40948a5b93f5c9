#!/usr/bin/env bash
# Builds the third-party libraries that Debian 12 ships only as shared objects (or, for libcurl, only
# with LDAP/RTMP/SSH/Kerberos linked in) as static archives under .deps/static/, so that the
# connector is one executable that needs nothing but glibc:
#   duckdb    DuckDB 1.4.4 with parquet, json, icu (sources of the npm package duckdb@1.4.4)
#   curl      libcurl from Debian 12's source package, HTTP and HTTPS (OpenSSL) only
#   simdjson  the single-file simdjson from Debian 12's source package
# Idempotent: each library is rebuilt only when its stamp (source version + build recipe) changed.
# Each build is also kept in a per-machine cache ($AC_DEPS_CACHE, default
# ~/.cache/athena-connector), so a fresh clone on the same machine copies it instead of rebuilding
# (DuckDB takes tens of minutes on 2 cores).
# Compilers: $CC/$CXX (default cc/c++); the archives link with either g++ 12 or clang-16.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPS="${ROOT}/.deps"
STATIC="${DEPS}/static"
SRC="${DEPS}/src"
JOBS="${JOBS:-$(nproc)}"
CC="${CC:-cc}"
CXX="${CXX:-c++}"
DUCKDB_PACKAGE="duckdb@1.4.4"
# Only what the connector speaks: HTTP/1.1 over TCP or TLS (OpenSSL; the CA bundle is found at run
# time, see aws/ca_bundle). No other protocol, HTTP/2, IDN/PSL, compression, cookies or auth scheme
# (requests carry our own SigV4 headers), so the static link pulls in nothing beyond OpenSSL.
CURL_CMAKE=(-DBUILD_SHARED_LIBS=OFF -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DENABLE_MANUAL=OFF
  -DHTTP_ONLY=ON -DCURL_USE_OPENSSL=ON -DOPENSSL_USE_STATIC_LIBS=ON
  -DCURL_CA_BUNDLE=none -DCURL_CA_PATH=none -DCURL_CA_FALLBACK=OFF -DCURL_ZLIB=OFF -DCURL_BROTLI=OFF
  -DCURL_ZSTD=OFF -DUSE_NGHTTP2=OFF -DUSE_LIBIDN2=OFF -DCURL_USE_LIBPSL=OFF -DCURL_USE_LIBSSH2=OFF
  -DCURL_USE_LIBSSH=OFF -DCURL_USE_GSSAPI=OFF -DENABLE_UNIX_SOCKETS=OFF -DCURL_DISABLE_COOKIES=ON
  -DCURL_DISABLE_ALTSVC=ON -DCURL_DISABLE_HSTS=ON -DCURL_DISABLE_NTLM=ON -DCURL_DISABLE_NETRC=ON
  -DCURL_DISABLE_DOH=ON -DCURL_DISABLE_MIME=ON -DCURL_DISABLE_CRYPTO_AUTH=ON
  -DCURL_DISABLE_OPENSSL_AUTO_LOAD_CONFIG=ON -DENABLE_THREADED_RESOLVER=ON -DPICKY_COMPILER=OFF
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS_RELEASE="-O2 -DNDEBUG")
SIMDJSON_FLAGS=(-std=c++17 -O3 -g0 -DNDEBUG)
mkdir -p "${STATIC}" "${SRC}"

# stamp_ok NAME RECIPE: true when NAME was built with RECIPE (a string naming source and options).
stamp_ok() { [[ -f "${STATIC}/$1/.stamp" && "$(cat "${STATIC}/$1/.stamp")" == "$2" ]]; }
stamp_write() { printf '%s' "$2" >"${STATIC}/$1/.stamp"; }

CACHE_HOME="${AC_DEPS_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/athena-connector}"
cache_dir() { echo "${CACHE_HOME}/$1-$(printf '%s' "$2" | sha256sum | cut -c1-16)"; }
# restore_cached NAME RECIPE: true when a build of NAME with RECIPE was copied from the cache.
restore_cached() {
  local dir
  dir="$(cache_dir "$1" "$2")"
  [[ -f "${dir}/.stamp" && "$(cat "${dir}/.stamp")" == "$2" ]] || return 1
  rm -rf "${STATIC:?}/$1" && cp -a "${dir}" "${STATIC}/$1"
  echo "deps: $1 copied from the build cache ${dir}"
}
# up_to_date NAME RECIPE: true when .deps/static/NAME holds a build with RECIPE (copied from the
# cache if need be); built NAME RECIPE: records a finished build (stamp and cache).
up_to_date() { stamp_ok "$1" "$2" || restore_cached "$1" "$2"; }
built() { stamp_write "$1" "$2"; save_cached "$1" "$2"; }
# save_cached NAME RECIPE: best effort (a read-only or full cache only costs the next clone time).
save_cached() {
  local dir
  dir="$(cache_dir "$1" "$2")"
  { mkdir -p "${CACHE_HOME}" && rm -rf "${dir}.tmp" && cp -a "${STATIC}/$1" "${dir}.tmp" &&
    rm -rf "${dir}" && mv "${dir}.tmp" "${dir}"; } 2>/dev/null || echo "deps: could not cache $1 in ${CACHE_HOME}"
}
recipe_hash() { sha256sum "$@" | cut -c1-16; }

# Debian source packages through a private apt configuration (deb-src of the same mirror as the
# system's own lists; apt checks every file against the signed Sources index).
APT_DIR="${DEPS}/apt-src"
apt_src() {
  local args=(-o "Dir::Etc::SourceList=${APT_DIR}/none.list" -o "Dir::Etc::SourceParts=${APT_DIR}/parts"
    -o "Dir::State::Lists=${APT_DIR}/lists" -o "Dir::Cache=${APT_DIR}/cache" -o "APT::Sandbox::User=root")
  apt-get -qq "${args[@]}" "$@"
}
debian_source() {  # debian_source PACKAGE -> prints the unpacked source directory
  local pkg="$1"
  if [[ ! -f "${APT_DIR}/lists/.updated" ]]; then
    mkdir -p "${APT_DIR}/parts" "${APT_DIR}/lists/partial" "${APT_DIR}/cache/archives/partial"
    : >"${APT_DIR}/none.list"
    cat >"${APT_DIR}/parts/bookworm-src.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
    apt_src update >&2
    touch "${APT_DIR}/lists/.updated"
  fi
  local dir="${SRC}/${pkg}"
  if [[ ! -f "${dir}/.unpacked" ]]; then
    rm -rf "${dir}" && mkdir -p "${dir}"
    (cd "${dir}" && apt_src source --download-only "${pkg}" >&2 &&
      dpkg-source --no-check -x ./*.dsc tree >&2 && touch .unpacked)
  fi
  echo "${dir}/tree"
}
debian_source_version() { sed -n 's/^Version: //p' "${SRC}/$1"/*.dsc | head -n1; }

build_curl() {
  local src recipe
  src="$(debian_source curl)"
  recipe="curl $(debian_source_version curl) ${CURL_CMAKE[*]}"
  up_to_date curl "${recipe}" && return 0
  echo "deps: building static libcurl (HTTP/HTTPS, OpenSSL) from Debian's source package"
  # Debian applies every patch, then builds its OpenSSL flavour with the last two (the GnuTLS and
  # NSS flavours' renames) taken off again; so do we.
  if [[ ! -f "${src}/.openssl-flavour" ]]; then
    (cd "${src}" && patch -s -R -p1 <debian/patches/99_nss.patch && patch -s -R -p1 <debian/patches/90_gnutls.patch)
    touch "${src}/.openssl-flavour"
  fi
  local build="${SRC}/curl/build" out="${STATIC}/curl"
  rm -rf "${build}" "${out}"
  cmake -S "${src}" -B "${build}" -G Ninja -DCMAKE_C_COMPILER="${CC}" -DCMAKE_INSTALL_PREFIX="${out}" \
    -DCMAKE_INSTALL_LIBDIR=lib "${CURL_CMAKE[@]}" >"${SRC}/curl/configure.log" 2>&1 ||
    { tail -n 30 "${SRC}/curl/configure.log"; exit 1; }
  cmake --build "${build}" -j "${JOBS}" >"${SRC}/curl/build.log" 2>&1 || { tail -n 30 "${SRC}/curl/build.log"; exit 1; }
  mkdir -p "${out}/lib" "${out}/include"
  cp "${build}/lib/libcurl.a" "${out}/lib/libcurl.a"
  cp -r "${src}/include/curl" "${out}/include/curl"
  built curl "${recipe}"
}

build_simdjson() {
  local src recipe
  src="$(debian_source simdjson)"
  recipe="simdjson $(debian_source_version simdjson) ${SIMDJSON_FLAGS[*]}"
  up_to_date simdjson "${recipe}" && return 0
  echo "deps: building static simdjson from Debian's source package"
  local out="${STATIC}/simdjson"
  rm -rf "${out}" && mkdir -p "${out}/include" "${out}/lib"
  cp "${src}/singleheader/simdjson.h" "${out}/include/simdjson.h"
  "${CXX}" "${SIMDJSON_FLAGS[@]}" -I"${out}/include" -c "${src}/singleheader/simdjson.cpp" \
    -o "${out}/lib/simdjson.o"
  ar rcs "${out}/lib/libsimdjson.a" "${out}/lib/simdjson.o" && rm "${out}/lib/simdjson.o"
  built simdjson "${recipe}"
}

build_duckdb() {
  local recipe
  recipe="${DUCKDB_PACKAGE} $(recipe_hash "${ROOT}/cmake/duckdb_static/CMakeLists.txt")"
  up_to_date duckdb "${recipe}" && return 0
  local pkg="${SRC}/duckdb" out="${STATIC}/duckdb"
  if [[ ! -f "${pkg}/.unpacked" ]]; then
    echo "deps: fetching ${DUCKDB_PACKAGE} (sources) from the npm registry"
    rm -rf "${pkg}" && mkdir -p "${pkg}"
    (cd "${pkg}" && npm pack --silent "${DUCKDB_PACKAGE}" >/dev/null && tar -xzf duckdb-*.tgz && rm duckdb-*.tgz)
    touch "${pkg}/.unpacked"
  fi
  # The package's binding.gyp lists DuckDB's sources (unity files) and include folders; the Node.js
  # binding itself (package/src/*.cpp) is left out.
  python3 - "${pkg}/package" <<'EOF'
import ast, sys, pathlib
root = pathlib.Path(sys.argv[1])
target = ast.literal_eval((root / "binding.gyp").read_text())["targets"][0]
srcs = [s for s in target["sources"] if s.startswith("src/duckdb/")]
incs = [i for i in target["include_dirs"] if i.startswith("src/duckdb/")]
(root / "sources.cmake").write_text(
    "set(DUCKDB_SOURCES\n" + "".join(f'  "{root / s}"\n' for s in srcs) + ")\n")
(root / "include_dirs.cmake").write_text(
    "set(DUCKDB_INCLUDE_DIRS\n" + "".join(f'  "{root / i}"\n' for i in dict.fromkeys(incs)) + ")\n")
EOF
  echo "deps: building static DuckDB from ${DUCKDB_PACKAGE}'s sources (once; takes a while on 2 cores)"
  local build="${pkg}/build"
  rm -rf "${build}" "${out}"
  cmake -S "${ROOT}/cmake/duckdb_static" -B "${build}" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_C_COMPILER="${CC}" -DCMAKE_CXX_COMPILER="${CXX}" -DDUCKDB_PACKAGE_DIR="${pkg}/package" >/dev/null
  cmake --build "${build}" -j "${JOBS}" >"${pkg}/build.log" 2>&1 || { tail -n 40 "${pkg}/build.log"; exit 1; }
  mkdir -p "${out}/lib" "${out}/include"
  cp "${build}/lib/libduckdb_static.a" "${out}/lib/libduckdb_static.a"
  cp "${pkg}/package/src/duckdb/src/include/duckdb.h" "${out}/include/duckdb.h"
  built duckdb "${recipe}"
}

# Arguments name the libraries to build (default: all).
for lib in "${@:-curl simdjson duckdb}"; do
  for one in ${lib}; do "build_${one}"; done
done
