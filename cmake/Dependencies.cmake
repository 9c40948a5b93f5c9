# Third-party dependencies: Debian packages (see scripts/deps.sh) and DuckDB from .deps/.
find_package(Threads REQUIRED)
find_package(OpenSSL REQUIRED)
find_package(CURL REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 REQUIRED)
find_package(simdjson REQUIRED)
find_package(Protobuf REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(GRPCPP REQUIRED IMPORTED_TARGET grpc++)
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)
add_library(httplib::httplib ALIAS PkgConfig::HTTPLIB)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)

set(AC_DUCKDB_DIR ${CMAKE_SOURCE_DIR}/.deps/duckdb CACHE PATH "Unpacked DuckDB C library (scripts/deps.sh)")
if(NOT EXISTS ${AC_DUCKDB_DIR}/lib/libduckdb.so OR NOT EXISTS ${AC_DUCKDB_DIR}/include/duckdb.h)
  message(FATAL_ERROR "DuckDB not found in ${AC_DUCKDB_DIR}: run 'make deps' (scripts/deps.sh) first")
endif()
add_library(duckdb SHARED IMPORTED GLOBAL)
set_target_properties(duckdb PROPERTIES
  IMPORTED_LOCATION ${AC_DUCKDB_DIR}/lib/libduckdb.so
  IMPORTED_NO_SONAME TRUE
  INTERFACE_INCLUDE_DIRECTORIES ${AC_DUCKDB_DIR}/include)
# Binaries find libduckdb.so without LD_LIBRARY_PATH.
set(CMAKE_BUILD_RPATH ${AC_DUCKDB_DIR}/lib)
set(CMAKE_INSTALL_RPATH ${AC_DUCKDB_DIR}/lib)

if(AC_BUILD_TESTS)
  find_package(GTest REQUIRED)
  find_package(benchmark REQUIRED)
  set(AC_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with Debian's boto3/grpcio/pytest")
endif()
