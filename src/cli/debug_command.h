#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>
#include <vector>

namespace ac::cli {

struct DebugOptions {
  std::filesystem::path configuration = "configuration.json";
  std::filesystem::path state;  ///< "" = <working_dir>/state.json when present, else {}
  std::filesystem::path working_dir = "files";
  bool progress = true;  ///< progress line (only when stderr is a terminal)
  /// Run the setup tests first (`--test`); off by default: they run a paid query on Athena.
  bool run_tests = false;
  std::vector<std::string> tables;            ///< `--tables a,b`: only these ("" = all)
  std::vector<std::string> excluded_columns;  ///< `--exclude-columns t.c,...`
};

/// `athena-connector debug`: runs one sync into <working_dir>/warehouse.db (schema tester) and
/// <working_dir>/state.json, then prints the SYNC PROGRESS summary and `Sync SUCCEEDED`, or
/// `Sync FAILED: <reason>`. Returns the exit code.
int RunDebug(const DebugOptions& options, std::ostream& out, std::ostream& err);

struct ResetOptions {
  std::filesystem::path working_dir = "files";
  bool yes = false;
};

/// `athena-connector reset`: deletes the working dir after confirming. Returns the exit code.
int RunReset(const ResetOptions& options, std::istream& in, std::ostream& out, std::ostream& err);

/// Exit code for an error kind: 2 configuration, 3 credentials/permissions, 4 not found or query
/// failed, 5 transport/protocol, 130 interrupted, 1 otherwise.
int ExitCodeFor(const std::exception& error);

}  // namespace ac::cli
