#include "support/test_support.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace ac::testing {
namespace {

std::vector<char*> Argv(std::vector<std::string>& args) {
  std::vector<char*> out;
  for (auto& a : args) out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "ac-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string ConnectorBinary() {
  return AC_CONNECTOR_BIN;
}
std::string AthenaLocalBinary() {
  return AC_ATHENA_LOCAL_BIN;
}
std::filesystem::path SourceDir() {
  return AC_SOURCE_DIR;
}

int StartProcess(const std::vector<std::string>& argv, const std::filesystem::path& log_dir,
                 const std::filesystem::path& cwd) {
  std::vector<std::string> args = argv;
  const std::string out_path = (log_dir / "stdout.log").string();
  const std::string err_path = (log_dir / "stderr.log").string();
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    const int null_in = open("/dev/null", O_RDONLY);
    dup2(null_in, 0);
    if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(127);
    auto c_args = Argv(args);
    execv(c_args[0], c_args.data());
    _exit(127);
  }
  return pid;
}

ProcessResult RunProcess(const std::vector<std::string>& argv, const std::filesystem::path& cwd) {
  TempDir logs;
  const int pid = StartProcess(argv, logs.path(), cwd);
  int status = 0;
  waitpid(pid, &status, 0);
  ProcessResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = ReadFile(logs.path() / "stdout.log");
  result.err = ReadFile(logs.path() / "stderr.log");
  return result;
}

AthenaLocal::AthenaLocal() : AthenaLocal(Options{}) {}

AthenaLocal::AthenaLocal(Options options) {
  if (options.seeds.empty()) options.seeds.push_back((SourceDir() / "examples" / "local").string());
  std::vector<std::string> argv = {AthenaLocalBinary(),
                                   "--port",
                                   "0",
                                   "--port-file",
                                   (dir_.path() / "port").string(),
                                   "--data-dir",
                                   (dir_.path() / "data").string()};
  for (const auto& seed : options.seeds) {
    argv.push_back("--seed");
    argv.push_back(seed);
  }
  argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
  pid_ = StartProcess(argv, dir_.path());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string port = ReadFile(dir_.path() / "port");
    if (!port.empty()) {
      port_ = std::atoi(port.c_str());
      if (port_ > 0) return;
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("athena-local exited during start-up: " + log());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Stop();
  throw std::runtime_error("athena-local did not write its port file within 60 s");
}

AthenaLocal::~AthenaLocal() {
  Stop();
}

void AthenaLocal::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 200; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string AthenaLocal::log() const {
  return ReadFile(dir_.path() / "stderr.log") + ReadFile(dir_.path() / "stdout.log");
}

std::map<std::string, std::string> AthenaLocal::Configuration() const {
  return {{"aws_access_key_id", "test"},
          {"aws_secret_access_key", "test"},
          {"region_name", "us-east-1"},
          {"database_name", "default"},
          {"s3_staging_dir", "s3://athena-results/staging/"},
          {"athena_endpoint_url", url()},
          {"s3_endpoint_url", url()}};
}

std::filesystem::path AthenaLocal::WriteConfiguration(
    const std::filesystem::path& dir, const std::map<std::string, std::string>& overrides) const {
  auto config = Configuration();
  for (const auto& [key, value] : overrides) {
    if (value.empty())
      config.erase(key);
    else
      config[key] = value;
  }
  const auto path = dir / "configuration.json";
  std::ofstream(path) << nlohmann::json(config).dump(2);
  return path;
}

}  // namespace ac::testing
