// DuckDbWarehouse::Checkpoint: `state.json`, replaced atomically after the writes it covers are
// committed.

#include "warehouse/duckdb_warehouse.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string_view>

#include "common/error.h"

namespace ac::warehouse {
namespace {

[[noreturn]] void ThrowFileError(std::string_view action, const std::filesystem::path& path) {
  throw common::TransientError(
      fmt::format("warehouse: cannot {} {}: {}", action, path.string(), std::strerror(errno)));
}

void WriteFileAtomically(const std::filesystem::path& path, std::string_view content) {
  std::filesystem::path temp = path;
  temp += ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) ThrowFileError("create", temp);
  size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      errno = saved;
      ThrowFileError("write", temp);
    }
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int saved = errno;
    ::close(fd);
    ::unlink(temp.c_str());
    errno = saved;
    ThrowFileError("sync", temp);
  }
  ::close(fd);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const int saved = errno;
    ::unlink(temp.c_str());
    errno = saved;
    ThrowFileError("replace", path);
  }
  // Make the rename itself durable.
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
}

}  // namespace

void DuckDbWarehouse::Checkpoint(const std::string& state_json) {
  const nlohmann::json parsed = nlohmann::json::parse(state_json, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    throw common::ProtocolError("warehouse: checkpoint state is not a JSON object");
  }
  // The rows before this checkpoint are durable before the state that points past them.
  CommitWrites("checkpoint");
  WriteFileAtomically(state_path_, state_json);
  ++counters_.checkpoints;
  spdlog::debug("warehouse: checkpoint: {}", state_json);
}

}  // namespace ac::warehouse
