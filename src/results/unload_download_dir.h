#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>

namespace ac::results {

/// Names of the `unload` fetcher's download folders: `<prefix><query execution id>` (a read that
/// finds its folder held by another reader uses `<prefix><id>-XXXXXX`).
inline constexpr std::string_view kUnloadDownloadPrefix = "athena-connector-unload-";

/// The folder the download folders go under: `root`, or the system temp dir when `root` is "".
std::filesystem::path UnloadDownloadRoot(const std::filesystem::path& root);

/// One read's download folder under `root`, held with an exclusive flock(2) on `<folder>/.lock`
/// for as long as the object lives (the kernel drops the lock when the process dies, SIGKILL
/// included, so a held lock means a reader is alive). With a query execution id the folder is
/// `<prefix><id>`, kept when the object goes (Release) so that a resumed read of the same query
/// finds what was downloaded; when that folder is held by another reader, or without an id, a
/// private `<prefix><id>-XXXXXX` folder, removed when the object goes.
class UnloadDownloadDir {
 public:
  UnloadDownloadDir(const std::filesystem::path& root, const std::string& query_execution_id);
  ~UnloadDownloadDir();
  UnloadDownloadDir(const UnloadDownloadDir&) = delete;
  UnloadDownloadDir& operator=(const UnloadDownloadDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  /// The folder is the query's own (survives this object); false for a private one.
  bool persistent() const { return persistent_; }
  /// Removes the folder and everything in it, then drops the lock. Idempotent.
  void Remove();

 private:
  std::filesystem::path path_;
  bool persistent_ = false;
  int lock_fd_ = -1;
};

/// Removes the download folders under `root` (UnloadDownloadRoot) that belong to no query in
/// `keep` (the queries a sync's state still reads) and that no live reader holds: leftovers of
/// syncs that were killed, or whose query was replaced. Folders of other names are left alone, and
/// so are folders without a lock file (an older connector's) written to within the last hour.
/// Returns how many were removed; errors (a folder that cannot be removed) are ignored.
int RemoveStaleUnloadDownloads(const std::filesystem::path& root,
                               const std::set<std::string>& keep);

/// What the `.etag` sidecar next to a downloaded file records: the object's ETag and size when
/// its download started. The local file holds a prefix of that object version's bytes.
struct DownloadSidecar {
  std::string etag;
  int64_t size = 0;
};
/// `<file>.etag`.
std::filesystem::path SidecarPath(const std::filesystem::path& file);
/// nullopt when absent or unreadable.
std::optional<DownloadSidecar> ReadSidecar(const std::filesystem::path& file);
/// Written atomically (temp file, rename) before the first byte of the download.
void WriteSidecar(const std::filesystem::path& file, const DownloadSidecar& sidecar);
/// Removes `file` and its sidecar.
void RemoveDownload(const std::filesystem::path& file);

/// A file name for the S3 object name `name` (its last key segment): letters, digits, `-`, `_`
/// and `.` as they are, other bytes %XX; long names shortened with a hash. Plus `.parquet`.
std::string LocalFileName(std::string_view name);

}  // namespace ac::results
