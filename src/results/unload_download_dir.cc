#include "results/unload_download_dir.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "common/error.h"

namespace ac::results {
namespace {

constexpr const char* kLockName = ".lock";

/// A query execution id usable as a folder name as it is (Athena's are UUIDs).
bool IsPlainId(const std::string& id) {
  if (id.empty() || id == "." || id == ".." || id.size() > 128) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

/// Opens and locks `<dir>/.lock` without waiting; -1 when it cannot be opened (the folder is gone)
/// or another open file description holds the lock. The lock file locked is the one at that path
/// (a remover may have unlinked it between the open and the lock: then -1 too).
int LockFolder(const std::filesystem::path& dir) {
  const std::filesystem::path lock = dir / kLockName;
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return -1;
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return -1;
  }
  struct stat held {};
  struct stat now {};
  if (::fstat(fd, &held) != 0 || ::lstat(lock.c_str(), &now) != 0 || held.st_ino != now.st_ino ||
      held.st_dev != now.st_dev) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Older connectors' folders (`<prefix>XXXXXX`, mkdtemp) have no lock file: one is taken for a
/// live read when it or a file in it was written within the last hour.
bool RecentlyWritten(const std::filesystem::path& dir) {
  const auto cutoff = std::filesystem::file_time_type::clock::now() - std::chrono::hours(1);
  std::error_code ec;
  if (std::filesystem::last_write_time(dir, ec) > cutoff && !ec) return true;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code time_error;
    if (entry.last_write_time(time_error) > cutoff && !time_error) return true;
  }
  return false;
}

uint64_t Fnv1a64(std::string_view text) {
  uint64_t hash = 14695981039346656037ull;
  for (const unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

std::filesystem::path UnloadDownloadRoot(const std::filesystem::path& root) {
  return root.empty() ? std::filesystem::temp_directory_path() : root;
}

UnloadDownloadDir::UnloadDownloadDir(const std::filesystem::path& root,
                                     const std::string& query_execution_id) {
  const std::filesystem::path base = UnloadDownloadRoot(root);
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  if (ec) {
    throw common::InternalError(
        fmt::format("cannot create the download folder {}: {}", base.string(), ec.message()));
  }
  const std::string prefix(kUnloadDownloadPrefix);
  if (IsPlainId(query_execution_id)) {
    const std::filesystem::path dir = base / (prefix + query_execution_id);
    // A few attempts: a stale-folder removal of another process may take the folder away between
    // its creation and the lock.
    for (int attempt = 0; attempt < 3; ++attempt) {
      std::filesystem::create_directory(dir, ec);
      if (ec) break;
      const int fd = LockFolder(dir);
      if (fd >= 0) {
        lock_fd_ = fd;
        path_ = dir;
        persistent_ = true;
        return;
      }
      // Held by another reader (its own copy of the folder stays untouched): a private folder.
      if (std::filesystem::exists(dir / kLockName)) break;
    }
  }
  const std::string name = prefix + (query_execution_id.empty() || !IsPlainId(query_execution_id)
                                         ? std::string()
                                         : query_execution_id + "-");
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::string pattern = (base / (name + "XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr) break;
    const int fd = LockFolder(pattern);
    if (fd >= 0) {
      lock_fd_ = fd;
      path_ = pattern;
      return;
    }
  }
  throw common::InternalError(
      fmt::format("cannot create a download folder under {}", base.string()));
}

UnloadDownloadDir::~UnloadDownloadDir() {
  if (!persistent_) Remove();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void UnloadDownloadDir::Remove() {
  if (lock_fd_ < 0) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);  // the lock is held until the folder is gone
  ::close(lock_fd_);
  lock_fd_ = -1;
}

int RemoveStaleUnloadDownloads(const std::filesystem::path& root,
                               const std::set<std::string>& keep) {
  const std::filesystem::path base = UnloadDownloadRoot(root);
  const std::string prefix(kUnloadDownloadPrefix);
  int removed = 0;
  std::error_code ec;
  std::filesystem::directory_iterator it(base, ec);
  if (ec) return 0;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string name = it->path().filename().string();
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    if (keep.count(name.substr(prefix.size())) != 0) continue;
    // Folders only, never through a symlink (the root may be the shared /tmp).
    std::error_code status_error;
    const auto type = it->symlink_status(status_error).type();
    if (status_error || type != std::filesystem::file_type::directory) continue;
    if (!std::filesystem::exists(it->path() / kLockName) && RecentlyWritten(it->path())) {
      continue;  // an older connector's folder (no lock to tell): maybe a live read
    }
    const int fd = LockFolder(it->path());
    if (fd < 0) continue;  // a live reader holds it (or it is not ours to touch)
    std::error_code remove_error;
    std::filesystem::remove_all(it->path(), remove_error);
    ::close(fd);
    if (!remove_error) ++removed;
  }
  return removed;
}

std::filesystem::path SidecarPath(const std::filesystem::path& file) {
  std::filesystem::path sidecar = file;
  sidecar += ".etag";
  return sidecar;
}

std::optional<DownloadSidecar> ReadSidecar(const std::filesystem::path& file) {
  std::ifstream in(SidecarPath(file));
  if (!in) return std::nullopt;
  DownloadSidecar sidecar;
  if (!std::getline(in, sidecar.etag) || !(in >> sidecar.size) || sidecar.size < 0) {
    return std::nullopt;
  }
  return sidecar;
}

void WriteSidecar(const std::filesystem::path& file, const DownloadSidecar& sidecar) {
  const std::filesystem::path path = SidecarPath(file);
  std::filesystem::path temp = path;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << sidecar.etag << "\n" << sidecar.size << "\n";
    out.flush();
    if (!out) throw common::InternalError(fmt::format("cannot write {}", temp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) {
    throw common::InternalError(fmt::format("cannot write {}: {}", path.string(), ec.message()));
  }
}

void RemoveDownload(const std::filesystem::path& file) {
  std::error_code ignored;
  std::filesystem::remove(SidecarPath(file), ignored);
  std::filesystem::remove(file, ignored);
}

std::string LocalFileName(std::string_view name) {
  std::string out;
  for (const char c : name) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '-' || c == '_' || c == '.';
    if (plain) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  if (out.size() > 160) out = fmt::format("{}-{:016x}", out.substr(0, 120), Fnv1a64(name));
  // Never "." or ".." or a name starting with a dot (the lock file, hidden files).
  return "f-" + out + ".parquet";
}

}  // namespace ac::results
