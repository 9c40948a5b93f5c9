#pragma once

// The few S3 calls this project needs to read Athena's result files (athena-wire.md section 5):
// HeadObject, ranged GetObject streamed into a callback, ListObjectsV2 and DeleteObject, over a
// signed, retrying ServiceClient (REST-XML errors, service name "s3").
//
// Addressing: against AWS's own endpoint (`https://s3.<region>.amazonaws.com[.cn]`) a bucket that
// is a valid DNS label (3..63 lowercase letters, digits and hyphens, no dots over HTTPS, not an
// IPv4 literal) is addressed virtual-hosted (`https://<bucket>.s3.<region>.amazonaws.com/<key>`);
// everything else, and every custom endpoint (VPC endpoints, athena-local), path-style
// (`<endpoint>/<bucket>/<key>`).

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/http.h"
#include "aws/service_client.h"

namespace ac::aws {

/// An `s3://bucket/key` location.
struct S3Uri {
  std::string bucket;
  std::string key;  ///< without a leading '/'; may be empty (a bucket) or end with '/' (a prefix)

  /// Parses `s3://bucket[/key]`; nullopt when it is not such a URI (or the bucket is empty).
  static std::optional<S3Uri> TryParse(std::string_view uri);
  /// Like TryParse; throws common::ProtocolError naming `what` (e.g. "the result OutputLocation").
  static S3Uri Parse(std::string_view uri, std::string_view what);
  std::string ToString() const { return "s3://" + bucket + "/" + key; }
};

/// True when `bucket` may be addressed as `<bucket>.s3...` (a valid host label; with `https`, no
/// dots, since the wildcard certificate covers a single label).
bool IsVirtualHostableBucket(std::string_view bucket, bool https);

/// HeadObject's answer.
struct S3ObjectInfo {
  int64_t size = 0;  ///< Content-Length
  std::string etag;  ///< as sent, quotes included
  std::string last_modified;
  std::string server_side_encryption;  ///< x-amz-server-side-encryption: AES256, aws:kms, ...
  std::string sse_kms_key_id;          ///< x-amz-server-side-encryption-aws-kms-key-id
};

struct S3ListedObject {
  std::string key;
  int64_t size = 0;
  std::string etag;
};

/// One ListObjectsV2 page.
struct S3ListPage {
  std::vector<S3ListedObject> objects;
  std::vector<std::string> common_prefixes;
  bool truncated = false;
  std::string next_continuation_token;
};

/// Thread-safe; concurrent callers each use their own transport (ServiceClient keeps one per
/// thread), so parallel ranged GETs run over parallel connections.
class S3Client {
 public:
  /// `service` is the client for the configured endpoint (service "s3", XML errors).
  /// `force_path_style`: always path-style (custom endpoints); otherwise virtual-hosted where the
  /// bucket allows it and `service` points at AWS's regional S3 endpoint.
  S3Client(std::shared_ptr<ServiceClient> service, bool force_path_style);
  ~S3Client();

  /// Size, ETag and encryption headers. Errors: AwsError whose code comes from the status (HEAD
  /// replies have no body): NotFound (404), Forbidden (403), ...
  S3ObjectInfo HeadObject(const std::string& bucket, const std::string& key);

  /// Streams bytes [first, last] (inclusive; `last` < 0 = to the end of the object) to `on_body`.
  /// Throws AwsError (e.g. InvalidRange 416, NoSuchKey 404, AccessDenied 403),
  /// common::TransientError when the transfer broke (after `on_body` may have received some bytes:
  /// the caller re-requests the rest), common::CancelledError. With `if_match` (an ETag, quotes
  /// included) the request sends `If-Match`: S3 answers 412 PreconditionFailed when the object is
  /// no longer that version.
  HttpResponse GetObjectRange(const std::string& bucket, const std::string& key, int64_t first,
                              int64_t last, const BodyCallback& on_body,
                              const std::string& if_match = "");
  /// Like GetObjectRange, resuming a transfer that breaks after delivering some bytes: the rest is
  /// asked for again from the first missing byte, each resumed request one more attempt under the
  /// service's RetryPolicy (its per-call deadline, backoff and quota). A request that delivers
  /// nothing has had the ServiceClient's own retries: its error ends the download. A body shorter
  /// than the range asked for counts as broken; a body longer than it is a common::ProtocolError
  /// (nothing past `last` is passed on). With `last` < 0 a resumed request that starts exactly at
  /// the end of the object (416) completes the download. `on_body` returning false abandons the
  /// download (the transfer's error is thrown). Returns the bytes delivered. Throws like
  /// GetObjectRange; common::CancelledError when `cancel` fires while waiting to resume.
  ///
  /// `etag` (as HeadObject gave it, or as a saved position recorded it): every request, the first
  /// and each resumed one, sends `If-Match: <etag>`, so the bytes delivered all come from that
  /// version of the object. An object replaced meanwhile (412 PreconditionFailed) is a
  /// common::ProtocolError saying so, never retried: the bytes already delivered belong to a
  /// version that no longer exists, and the caller must start over (run the query again).
  int64_t DownloadRange(const std::string& bucket, const std::string& key, int64_t first,
                        int64_t last, const BodyCallback& on_body,
                        const common::CancellationToken* cancel = nullptr,
                        const std::string& etag = "");
  /// The whole object as a string (small objects: manifests, .txt results).
  std::string GetObject(const std::string& bucket, const std::string& key);

  /// One page of keys under `prefix` (max_keys 1..1000).
  S3ListPage ListObjectsV2(const std::string& bucket, const std::string& prefix,
                           const std::string& continuation_token = "", int max_keys = 1000);
  /// Every key under `prefix`, following continuation tokens.
  std::vector<S3ListedObject> ListAllObjects(const std::string& bucket, const std::string& prefix);

  /// Deletes one object (S3 answers 204 also when the key does not exist).
  void DeleteObject(const std::string& bucket, const std::string& key);

  ServiceClient& service() { return *service_; }

 private:
  /// The client to send a request for `bucket` through, and the path prefix ("" or "/bucket").
  ServiceClient& ClientFor(const std::string& bucket, std::string& path_prefix);
  HttpRequest ObjectRequest(const std::string& method, const std::string& bucket,
                            const std::string& key, ServiceClient*& client);

  std::shared_ptr<ServiceClient> service_;
  bool force_path_style_;
  bool aws_endpoint_;  ///< the base URL is s3.<region>.amazonaws.com[.cn]
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<ServiceClient>> virtual_hosted_;  ///< by bucket
};

}  // namespace ac::aws
