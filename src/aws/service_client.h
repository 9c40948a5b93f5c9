#pragma once

#include <functional>
#include <memory>
#include <string>

#include "aws/credentials.h"
#include "aws/http.h"
#include "aws/retry.h"
#include "aws/sigv4.h"
#include "common/clock.h"

namespace ac::aws {

/// Where and how to reach one AWS service.
struct ServiceEndpoint {
  std::string service;  ///< SigV4 service name: "athena", "s3", "sts"
  std::string region;
  Url base_url;  ///< e.g. https://athena.us-east-1.amazonaws.com
};

/// Parses an error response body into (code, message); protocol-specific (JSON 1.1, REST-XML,
/// query).
using ErrorParser =
    std::function<void(const HttpResponse& response, std::string& code, std::string& message)>;
void ParseJsonError(const HttpResponse& response, std::string& code, std::string& message);
void ParseXmlError(const HttpResponse& response, std::string& code, std::string& message);

/// Signs, sends and retries requests to one service. One instance per service per sync; the
/// transports (one per calling thread) come from the factory. Thread-safe.
class ServiceClient {
 public:
  ServiceClient(ServiceEndpoint endpoint, std::shared_ptr<CredentialsProvider> credentials,
                HttpTransportFactory transports, std::shared_ptr<RetryPolicy> retry,
                common::Clock& clock, ErrorParser error_parser,
                const common::CancellationToken* cancel = nullptr);
  ~ServiceClient();

  /// Sends `request` (url path/query relative to the base URL), signing every attempt anew.
  /// Retries per the policy; throws AwsError (HTTP error), common::TransientError (transport
  /// failure after retries) or common::CancelledError.
  HttpResponse Send(std::string_view operation, HttpRequest request,
                    const BodyCallback& on_body = nullptr);

  const ServiceEndpoint& endpoint() const { return endpoint_; }
  common::Clock& clock() { return clock_; }
  /// The retry policy (and quota) of this client, for operations retried above it (RetryAttempts).
  RetryPolicy& retry() { return *retry_; }

  /// A client of the same service (credentials, transports, retry policy, error parser and
  /// cancellation shared) at another base URL, e.g. an S3 virtual-hosted bucket endpoint
  /// `https://<bucket>.s3.<region>.amazonaws.com`. It keeps its own transports (one per thread).
  std::shared_ptr<ServiceClient> WithBaseUrl(Url base_url) const;
  /// A client like this one that ignores cancellation: for clean-up calls that must go out after
  /// the sync was cancelled (StopQueryExecution).
  std::shared_ptr<ServiceClient> WithoutCancellation() const;

 private:
  HttpTransport& ThreadTransport();

  ServiceEndpoint endpoint_;
  std::shared_ptr<CredentialsProvider> credentials_;
  HttpTransportFactory transports_;
  std::shared_ptr<RetryPolicy> retry_;
  common::Clock& clock_;
  ErrorParser error_parser_;
  const common::CancellationToken* cancel_;
  SigV4Signer signer_;
  struct TransportCache;
  std::unique_ptr<TransportCache> transport_cache_;
};

}  // namespace ac::aws
