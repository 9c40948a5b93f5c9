# Third-party dependencies, all linked statically so that athena-connector is one executable that
# needs nothing but glibc (Fivetran runs it alone in a Debian container):
# - Debian 12's static archives: gRPC++ (+ abseil, re2, c-ares, upb), protobuf, OpenSSL, zlib;
# - header-only: fmt, spdlog, nlohmann-json, CLI11;
# - built from source by scripts/build_static_deps.sh into .deps/static/: DuckDB 1.4.4 (npm package
#   sources), libcurl with HTTP/HTTPS only, simdjson (Debian source packages).
# The connector also links libstdc++ and libgcc statically (ac_link_standalone). Tests and tools
# (athena-local, benchmarks) use the same libraries; they may link Debian's shared libraries for
# test-only peers (cpp-httplib, GoogleTest).
find_package(Threads REQUIRED)
set(OPENSSL_USE_STATIC_LIBS TRUE)
find_package(OpenSSL REQUIRED)
set(Protobuf_USE_STATIC_LIBS ON)
find_package(Protobuf REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Python3 REQUIRED COMPONENTS Interpreter)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

set(AC_STATIC_DEPS_DIR ${CMAKE_SOURCE_DIR}/.deps/static CACHE PATH
    "Static libraries built by scripts/build_static_deps.sh (duckdb, curl, simdjson)")
foreach(_dep duckdb/lib/libduckdb_static.a duckdb/include/duckdb.h curl/lib/libcurl.a
        simdjson/lib/libsimdjson.a simdjson/include/simdjson.h)
  if(NOT EXISTS ${AC_STATIC_DEPS_DIR}/${_dep})
    message(FATAL_ERROR "${AC_STATIC_DEPS_DIR}/${_dep} is missing: run 'make deps' (scripts/deps.sh) first")
  endif()
endforeach()

# A static archive of the system by its library name (libNAME.a), never the shared object.
function(ac_find_static_library out name)
  find_library(_path NAMES lib${name}.a NO_CACHE)
  if(NOT _path)
    execute_process(COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=lib${name}.a
                    OUTPUT_VARIABLE _path OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT IS_ABSOLUTE "${_path}" OR NOT EXISTS "${_path}")
      message(FATAL_ERROR "No static lib${name}.a found (install its Debian -dev package)")
    endif()
  endif()
  set(${out} ${_path} PARENT_SCOPE)
endfunction()

# fmt and spdlog header-only (Debian ships them as shared libraries only).
add_library(ac_fmt INTERFACE)
target_compile_definitions(ac_fmt INTERFACE FMT_HEADER_ONLY=1)
add_library(fmt::fmt ALIAS ac_fmt)
add_library(ac_spdlog INTERFACE)
target_compile_definitions(ac_spdlog INTERFACE SPDLOG_FMT_EXTERNAL)
target_link_libraries(ac_spdlog INTERFACE ac_fmt Threads::Threads)
add_library(spdlog::spdlog ALIAS ac_spdlog)

# gRPC++ without its TLS stack (grpc++_unsecure: the server listens in plaintext, as Fivetran's SDK
# connectors do; HTTPS to AWS goes through libcurl), everything it needs and protobuf, as static
# archives in one link group, so the order between the archives does not matter. Debian's
# grpc_unsecure.pc omits the archives libgrpc_unsecure.a itself calls into: named here.
pkg_check_modules(GRPCPP REQUIRED grpc++_unsecure)
set(_grpc_archives ${Protobuf_LIBRARIES})
foreach(_lib ${GRPCPP_STATIC_LIBRARIES} upb re2 cares address_sorting z)
  if(_lib MATCHES "^(pthread|dl|rt|m)$" OR _lib IN_LIST _grpc_seen)
    continue()
  endif()
  list(APPEND _grpc_seen ${_lib})
  if(_lib STREQUAL "ssl")
    list(APPEND _grpc_archives ${OPENSSL_SSL_LIBRARY})
  elseif(_lib STREQUAL "crypto")
    list(APPEND _grpc_archives ${OPENSSL_CRYPTO_LIBRARY})
  else()
    ac_find_static_library(_archive ${_lib})
    list(APPEND _grpc_archives ${_archive})
  endif()
endforeach()
list(JOIN _grpc_archives "," _grpc_group)
add_library(ac_grpcpp INTERFACE)
target_include_directories(ac_grpcpp SYSTEM INTERFACE ${GRPCPP_STATIC_INCLUDE_DIRS})
target_link_libraries(ac_grpcpp INTERFACE
  "$<LINK_GROUP:RESCAN,${_grpc_group}>" Threads::Threads ${CMAKE_DL_LIBS} rt)
add_library(PkgConfig::GRPCPP ALIAS ac_grpcpp)

add_library(CURL::libcurl STATIC IMPORTED GLOBAL)
set_target_properties(CURL::libcurl PROPERTIES
  IMPORTED_LOCATION ${AC_STATIC_DEPS_DIR}/curl/lib/libcurl.a
  INTERFACE_INCLUDE_DIRECTORIES ${AC_STATIC_DEPS_DIR}/curl/include
  INTERFACE_COMPILE_DEFINITIONS CURL_STATICLIB
  INTERFACE_LINK_LIBRARIES "OpenSSL::SSL;OpenSSL::Crypto;Threads::Threads")

add_library(simdjson::simdjson STATIC IMPORTED GLOBAL)
set_target_properties(simdjson::simdjson PROPERTIES
  IMPORTED_LOCATION ${AC_STATIC_DEPS_DIR}/simdjson/lib/libsimdjson.a
  INTERFACE_INCLUDE_DIRECTORIES ${AC_STATIC_DEPS_DIR}/simdjson/include)

add_library(duckdb STATIC IMPORTED GLOBAL)
set_target_properties(duckdb PROPERTIES
  IMPORTED_LOCATION ${AC_STATIC_DEPS_DIR}/duckdb/lib/libduckdb_static.a
  INTERFACE_INCLUDE_DIRECTORIES ${AC_STATIC_DEPS_DIR}/duckdb/include
  INTERFACE_LINK_LIBRARIES "Threads::Threads;${CMAKE_DL_LIBS}")

# The shipped executable: libstdc++ and libgcc inside it too, so that its only dynamic dependencies
# are glibc's (checked by scripts/standalone_check.sh).
function(ac_link_standalone target)
  target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
endfunction()

if(AC_BUILD_TESTS)
  # Test-only peers may stay shared: athena-local's HTTP server and the tests' HTTP servers.
  pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
  add_library(httplib::httplib ALIAS PkgConfig::HTTPLIB)
  find_package(GTest REQUIRED)
  find_package(benchmark REQUIRED)
  set(AC_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with Debian's boto3/grpcio/pytest")
endif()
