#pragma once

// The S3 operations athena-local serves over the BucketStore: GetObject (Range), HeadObject,
// PutObject, DeleteObject, ListObjectsV2/ListObjects, ListBuckets, Create/Head/DeleteBucket,
// with S3's XML error bodies.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "emulator/bucket_store.h"

namespace ac::emulator {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct S3Request {
  std::string method;
  std::string bucket;  ///< empty for service-level requests (ListBuckets)
  std::string key;     ///< decoded; empty for bucket-level requests
  HeaderList query;    ///< decoded query parameters in order
  HeaderList headers;
  std::string_view body;
  std::string request_id;

  const std::string* Header(std::string_view name) const;
  const std::string* Param(std::string_view name) const;
  bool HasParam(std::string_view name) const { return Param(name) != nullptr; }
};

struct S3Reply {
  int status = 200;
  HeaderList headers;
  std::string content_type;
  std::string body;  ///< small bodies (XML)
  /// When set, the body is streamed from this file range instead.
  bool stream_file = false;
  std::filesystem::path file;
  uint64_t file_offset = 0;
  uint64_t file_length = 0;
  /// The error code (for logs), empty on success.
  std::string error_code;
};

/// An S3 XML error reply (`extra` are additional child elements, already escaped).
S3Reply S3ErrorReply(int status, std::string_view code, std::string_view message,
                     std::string_view request_id, const HeaderList& extra = {});

/// RFC 1123 date (`Last-Modified`), and ISO 8601 with milliseconds (listings).
std::string HttpDate(std::chrono::system_clock::time_point t);
std::string IsoDate(std::chrono::system_clock::time_point t);

class S3Api {
 public:
  explicit S3Api(BucketStore& buckets) : buckets_(buckets) {}

  S3Reply Handle(const S3Request& request);

 private:
  S3Reply GetObject(const S3Request& r, bool head);
  S3Reply PutObject(const S3Request& r);
  S3Reply DeleteObject(const S3Request& r);
  S3Reply ListObjects(const S3Request& r, bool v2);
  S3Reply ListBuckets(const S3Request& r);

  BucketStore& buckets_;
};

}  // namespace ac::emulator
