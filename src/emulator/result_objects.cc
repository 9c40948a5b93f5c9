#include "emulator/result_objects.h"

#include <fstream>
#include <stdexcept>

namespace ac::emulator {

namespace fs = std::filesystem;

bool SplitOutputLocation(const std::string& location, std::string* bucket, std::string* prefix) {
  if (!BucketStore::ParseS3Uri(location, bucket, prefix)) return false;
  if (!prefix->empty() && prefix->back() != '/') *prefix += '/';
  return BucketStore::IsValidBucketName(*bucket);
}

ResultObjectWriter::ResultObjectWriter(BucketStore& buckets, std::string id, std::string bucket,
                                       std::string prefix)
    : buckets_(buckets),
      id_(std::move(id)),
      bucket_(std::move(bucket)),
      prefix_(std::move(prefix)) {}

fs::path ResultObjectWriter::NewTempPath(const std::string& hint) {
  return buckets_.NewTempPath(hint);
}

void ResultObjectWriter::Commit(const fs::path& temp, const std::string& name) {
  buckets_.CommitObject(temp, bucket_, prefix_ + name);
}

void ResultObjectWriter::WriteObject(const std::string& name, const std::string& content) {
  const fs::path temp = NewTempPath(id_ + "-" + name);
  {
    std::ofstream out(temp, std::ios::binary);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + temp.string());
  }
  Commit(temp, name);
}

void ResultObjectWriter::WriteMetadata(const std::string& result_name,
                                       const ResultMetadata& metadata) {
  WriteObject(result_name + ".metadata", metadata.ToJson());
}

uint64_t ResultObjectWriter::WriteTextResult(const std::vector<ResultColumn>& columns,
                                             const std::vector<std::string>& lines) {
  ResultMetadata metadata;
  metadata.format = ResultMetadata::Format::kText;
  metadata.columns = columns;
  metadata.rows = lines.size();
  std::string content;
  for (const auto& line : lines) {
    content += line;
    content += '\n';
  }
  WriteObject(id_ + ".txt", content);
  WriteMetadata(id_ + ".txt", metadata);
  return content.size();
}

void ResultObjectWriter::WriteUpdateCountMetadata() {
  ResultMetadata metadata;
  metadata.format = ResultMetadata::Format::kNone;
  metadata.columns.push_back(ResultColumn{"rows", ColumnType{"bigint", 19, 0, false}});
  WriteMetadata(id_ + ".csv", metadata);
}

std::string ResultObjectWriter::WriteManifest(const std::vector<std::string>& uris) {
  std::string content;
  for (const auto& u : uris) content += u + "\n";
  WriteObject(id_ + "-manifest.csv", content);
  return "s3://" + bucket_ + "/" + prefix_ + id_ + "-manifest.csv";
}

}  // namespace ac::emulator
