#pragma once

// The on-disk S3: each bucket is a folder under the data directory (names not starting with '.'),
// each object a file at <bucket>/<key>. Writers create files in a private temp folder and rename
// them into place, so readers never see a half-written object.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ac::emulator {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::chrono::system_clock::time_point last_modified;
  int64_t mtime_ns = 0;
};

class BucketStore {
 public:
  explicit BucketStore(std::filesystem::path root);

  const std::filesystem::path& root() const { return root_; }

  /// "s3://bucket/key" -> (bucket, key); the key may be empty. False when not an s3:// URI.
  static bool ParseS3Uri(std::string_view uri, std::string* bucket, std::string* key);
  /// S3 bucket naming rules (3..63 chars, lowercase letters, digits, '.', '-').
  static bool IsValidBucketName(std::string_view name);
  /// Keys this store can hold: 1..1024 bytes, no empty/'.'/'..' segments, no leading '/'.
  static bool IsValidKey(std::string_view key);

  std::filesystem::path BucketPath(std::string_view bucket) const;
  std::filesystem::path ObjectPath(std::string_view bucket, std::string_view key) const;

  bool BucketExists(std::string_view bucket) const;
  void CreateBucket(std::string_view bucket);
  std::vector<std::string> ListBuckets() const;

  /// A fresh path in the private temp folder (same filesystem as the buckets).
  std::filesystem::path NewTempPath(std::string_view hint);
  /// Moves a finished temp file into place as bucket/key (creating the bucket and folders).
  void CommitObject(const std::filesystem::path& temp, std::string_view bucket,
                    std::string_view key);
  /// Removes an object (and folders left empty); false when it did not exist.
  bool DeleteObject(std::string_view bucket, std::string_view key);

  std::optional<ObjectInfo> Stat(std::string_view bucket, std::string_view key) const;
  /// All objects whose key starts with `prefix`, sorted by key (UTF-8 byte order).
  std::vector<ObjectInfo> List(std::string_view bucket, std::string_view prefix) const;

  /// Quoted ETag: the MD5 of the content for objects up to 16 MiB, else a multipart-style tag
  /// derived from size and modification time (cached per file version).
  std::string ETag(std::string_view bucket, const ObjectInfo& info);

 private:
  std::filesystem::path root_;
  std::filesystem::path temp_dir_;
  std::mutex mutex_;
  uint64_t temp_counter_ = 0;
  std::map<std::string, std::pair<int64_t, std::string>> etag_cache_;  // path -> (mtime_ns, etag)
};

}  // namespace ac::emulator
