#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace ac::testing {

/// A fresh temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

/// athena-local as a child process on a free loopback port, stopped (SIGTERM) on destruction.
class AthenaLocal {
 public:
  struct Options {
    std::vector<std::string> seeds;       ///< default: <source>/examples/local
    std::vector<std::string> extra_args;  ///< e.g. {"--throttle-rate", "0.3", "--fault-seed", "7"}
  };
  AthenaLocal();
  explicit AthenaLocal(Options options);
  ~AthenaLocal();
  AthenaLocal(const AthenaLocal&) = delete;
  AthenaLocal& operator=(const AthenaLocal&) = delete;

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& data_dir() const { return dir_.path(); }
  std::string log() const;
  /// Configuration map for the connector pointing at this emulator (keys test/test, database
  /// `default`, staging s3://athena-results/staging/).
  std::map<std::string, std::string> Configuration() const;
  /// Writes Configuration() (plus `overrides`; an empty value removes a key) as configuration.json.
  std::filesystem::path WriteConfiguration(
      const std::filesystem::path& dir,
      const std::map<std::string, std::string>& overrides = {}) const;
  void Stop();

 private:
  TempDir dir_;
  int pid_ = -1;
  int port_ = 0;
};

/// Result of running a program.
struct ProcessResult {
  int exit_code = -1;  ///< exit status, or 128+signal
  std::string out;
  std::string err;
};

/// Runs `argv` (argv[0] is the program path) in `cwd`, captures stdout/stderr, waits.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::filesystem::path& cwd = {});

/// Starts `argv` in the background with stdout/stderr going to files in `log_dir`; returns the pid.
int StartProcess(const std::vector<std::string>& argv, const std::filesystem::path& log_dir,
                 const std::filesystem::path& cwd = {});

std::string ReadFile(const std::filesystem::path& path);

/// Paths of the built binaries and source tree (from compile definitions).
std::string ConnectorBinary();
std::string AthenaLocalBinary();
std::filesystem::path SourceDir();

}  // namespace ac::testing
