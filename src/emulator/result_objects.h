#pragma once

// The objects one query execution leaves in its output location, named as Athena names them:
// <id>.csv or <id>.txt with its <name>.metadata companion, and <id>-manifest.csv listing the files
// a CTAS/INSERT/UNLOAD wrote. Every object is written to a temp file, then committed.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "emulator/bucket_store.h"
#include "emulator/result_file.h"

namespace ac::emulator {

/// The bucket and key prefix (ending in '/', or empty) of an s3:// output location; false when it
/// is not an s3:// URI or the bucket name is invalid.
bool SplitOutputLocation(const std::string& location, std::string* bucket, std::string* prefix);

class ResultObjectWriter {
 public:
  /// Objects go to s3://<bucket>/<prefix><name>; `id` is the query execution id.
  ResultObjectWriter(BucketStore& buckets, std::string id, std::string bucket, std::string prefix);

  /// A fresh temp path (`hint` names it) for a file committed later.
  std::filesystem::path NewTempPath(const std::string& hint);
  /// Moves a finished temp file into place as <prefix><name>.
  void Commit(const std::filesystem::path& temp, const std::string& name);
  /// Writes <prefix><name> holding `content`.
  void WriteObject(const std::string& name, const std::string& content);
  /// Writes the companion <prefix><result_name>.metadata.
  void WriteMetadata(const std::string& result_name, const ResultMetadata& metadata);
  /// Writes a DDL/UTILITY result: <id>.txt (one line each) and its metadata; returns its bytes.
  uint64_t WriteTextResult(const std::vector<ResultColumn>& columns,
                           const std::vector<std::string>& lines);
  /// Writes <id>.csv.metadata of a statement that reports an update count (it has no <id>.csv).
  void WriteUpdateCountMetadata();
  /// Writes <id>-manifest.csv listing `uris`; returns its s3:// URI.
  std::string WriteManifest(const std::vector<std::string>& uris);

 private:
  BucketStore& buckets_;
  std::string id_;
  std::string bucket_;
  std::string prefix_;
};

}  // namespace ac::emulator
