// AwsError: one line per AWS error response, and the one place AWS error codes are classified:
// ClassifyAwsError for the retry policy (FailureClass), KindFor for everything else (ErrorKind).
//
// ClassifyAwsError (botocore standard mode, spec athena-wire.md §6): the code decides first (a
// throttling code arrives with HTTP 400 or 503), then the status: 429 throttling;
// 500/502/503/504 transient; everything else non-retryable. No status at all (0: the request
// never got a response) is transient.
//
// KindFor, first match wins (codes compared without a "namespace#" prefix or ":suffix"):
//   code                                                                       kind
//   AccessDenied, AccessDeniedException, NotAuthorized, UnauthorizedOperation,
//     AuthorizationError, AllAccessDisabled, AccountProblem, OptInRequired,
//     SubscriptionRequiredException, Forbidden                                 kPermission
//   InvalidClientTokenId, UnrecognizedClientException, InvalidSignatureException,
//     SignatureDoesNotMatch, InvalidAccessKeyId, IncompleteSignature(Exception),
//     ExpiredToken(Exception), TokenRefreshRequired, InvalidToken, RequestExpired,
//     RequestTimeTooSkewed, AuthFailure, MissingAuthenticationToken(Exception),
//     MissingSecurityHeader                                                    kAuth
//   AuthorizationHeaderMalformed (signed for the wrong region), PermanentRedirect
//     (bucket in another region), InvalidBucketName                            kConfig
//   NoSuchKey, NoSuchBucket, NoSuchUpload, NoSuchEntity, NotFound,
//     ResourceNotFoundException, EntityNotFoundException                       kNotFound
//   anything ClassifyAwsError retries (throttling, RequestTimeout, 429, 500/502/503/504), and
//     InternalError, InternalFailure, InternalServerError, InternalServerException,
//     ServiceUnavailable(Exception) whatever their status                      kTransient
//   InvalidRequestException, ValidationException, MetadataException,
//     InvalidParameterException, InvalidParameterValue(Exception),
//     InvalidInputException, InvalidArgument, InvalidRange,
//     MalformedQueryString, SerializationException  (a request the service
//     rejected: bad SQL, unknown database, bad parameter)                      kQueryFailed
//   then by status: 401 kAuth; 403 kPermission; 404 kNotFound; 301 kConfig; any other 4xx
//     kQueryFailed (request rejected); anything else (other 3xx/5xx, 2xx) kProtocol.
//   (No status at all, 0, counts as transient, like a transport failure.)

#include "aws/aws_error.h"

#include <algorithm>
#include <array>
#include <string_view>

namespace ac::aws {
namespace {

constexpr std::array<std::string_view, 3> kTransientCodes = {
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"};

constexpr std::array<std::string_view, 14> kThrottlingCodes = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "EC2ThrottledException",
    "PriorRequestNotComplete"};  // listed in both by botocore; the transient check wins

constexpr std::array<std::string_view, 10> kPermissionCodes = {"AccessDenied",
                                                               "AccessDeniedException",
                                                               "NotAuthorized",
                                                               "UnauthorizedOperation",
                                                               "AuthorizationError",
                                                               "AllAccessDisabled",
                                                               "AccountProblem",
                                                               "OptInRequired",
                                                               "SubscriptionRequiredException",
                                                               "Forbidden"};

constexpr std::array<std::string_view, 17> kAuthCodes = {"InvalidClientTokenId",
                                                         "UnrecognizedClientException",
                                                         "InvalidSignatureException",
                                                         "SignatureDoesNotMatch",
                                                         "InvalidAccessKeyId",
                                                         "IncompleteSignature",
                                                         "IncompleteSignatureException",
                                                         "ExpiredToken",
                                                         "ExpiredTokenException",
                                                         "TokenRefreshRequired",
                                                         "InvalidToken",
                                                         "RequestExpired",
                                                         "RequestTimeTooSkewed",
                                                         "AuthFailure",
                                                         "MissingAuthenticationToken",
                                                         "MissingAuthenticationTokenException",
                                                         "MissingSecurityHeader"};

constexpr std::array<std::string_view, 3> kConfigCodes = {"AuthorizationHeaderMalformed",
                                                          "PermanentRedirect", "InvalidBucketName"};

constexpr std::array<std::string_view, 7> kNotFoundCodes = {"NoSuchKey",
                                                            "NoSuchBucket",
                                                            "NoSuchUpload",
                                                            "NoSuchEntity",
                                                            "NotFound",
                                                            "ResourceNotFoundException",
                                                            "EntityNotFoundException"};

constexpr std::array<std::string_view, 6> kServerCodes = {
    "InternalError",           "InternalFailure",    "InternalServerError",
    "InternalServerException", "ServiceUnavailable", "ServiceUnavailableException"};

constexpr std::array<std::string_view, 11> kRejectedCodes = {
    "InvalidRequestException",   "ValidationException",   "MetadataException",
    "InvalidParameterException", "InvalidParameterValue", "InvalidParameterValueException",
    "InvalidInputException",     "InvalidArgument",       "InvalidRange",
    "MalformedQueryString",      "SerializationException"};

template <size_t N>
bool Contains(const std::array<std::string_view, N>& codes, std::string_view code) {
  return std::find(codes.begin(), codes.end(), code) != codes.end();
}

/// "aws.protocoltests#ThrottlingException" and "ThrottlingException:http://..." name the same code.
std::string_view BareCode(std::string_view code) {
  if (const size_t hash = code.rfind('#'); hash != std::string_view::npos)
    code.remove_prefix(hash + 1);
  if (const size_t colon = code.find(':'); colon != std::string_view::npos)
    code = code.substr(0, colon);
  return code;
}

std::string DisplayService(const std::string& service) {
  if (service == "athena") return "Athena";
  if (service == "s3") return "S3";
  if (service == "sts") return "STS";
  if (service == "glue") return "Glue";
  return service.empty() ? std::string("AWS") : service;
}

constexpr size_t kMaxMessageChars = 1000;

/// One line: each run of control characters (line breaks, tabs) becomes one space (none at the
/// ends), and a very long message is cut.
std::string OneLine(std::string_view text) {
  std::string out;
  out.reserve(std::min(text.size(), kMaxMessageChars + 3));
  bool space = false;
  for (const char c : text) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      space = !out.empty() && out.back() != ' ';
      continue;
    }
    if (space) out.push_back(' ');
    space = false;
    out.push_back(c);
    if (out.size() >= kMaxMessageChars) {
      out += "...";
      break;
    }
  }
  return out;
}

std::string FormatMessage(const std::string& service, const std::string& operation, int http_status,
                          const std::string& code, const std::string& message,
                          const std::string& request_id) {
  std::string out = DisplayService(service);
  if (!operation.empty()) out.append(" ").append(OneLine(operation));
  out += " failed: ";
  const std::string one_code = OneLine(code);
  const std::string one_message = OneLine(message);
  if (!one_code.empty() && !one_message.empty()) {
    out.append(one_code).append(": ").append(one_message);
  } else if (!one_code.empty() || !one_message.empty()) {
    out.append(one_code).append(one_message);
  } else {
    out += "no error details";
  }
  out += " (HTTP ";
  out += std::to_string(http_status);
  if (!request_id.empty()) out.append(", request id ").append(OneLine(request_id));
  out += ")";
  return out;
}

}  // namespace

FailureClass ClassifyAwsError(int http_status, std::string_view code) {
  code = BareCode(code);
  if (!code.empty()) {
    if (Contains(kTransientCodes, code)) return FailureClass::kTransient;
    if (Contains(kThrottlingCodes, code)) return FailureClass::kThrottling;
  }
  if (http_status >= 200 && http_status < 300 && code.empty()) return FailureClass::kNone;
  if (http_status == 0) return FailureClass::kTransient;
  if (http_status == 429) return FailureClass::kThrottling;
  if (http_status == 500 || http_status == 502 || http_status == 503 || http_status == 504) {
    return FailureClass::kTransient;
  }
  return FailureClass::kNonRetryable;
}

AwsError::AwsError(common::ErrorKind kind, std::string service, std::string operation,
                   int http_status, std::string code, std::string message, std::string request_id)
    : common::Error(kind,
                    FormatMessage(service, operation, http_status, code, message, request_id)),
      service_(std::move(service)),
      operation_(std::move(operation)),
      http_status_(http_status),
      code_(std::move(code)),
      aws_message_(std::move(message)),
      request_id_(std::move(request_id)) {}

common::ErrorKind AwsError::KindFor(int http_status, const std::string& code) {
  using common::ErrorKind;
  const std::string_view bare = BareCode(code);
  if (!bare.empty()) {
    if (Contains(kPermissionCodes, bare)) return ErrorKind::kPermission;
    if (Contains(kAuthCodes, bare)) return ErrorKind::kAuth;
    if (Contains(kConfigCodes, bare)) return ErrorKind::kConfig;
    if (Contains(kNotFoundCodes, bare)) return ErrorKind::kNotFound;
  }
  const FailureClass failure = ClassifyAwsError(http_status, bare);
  if ((failure != FailureClass::kNone && failure != FailureClass::kNonRetryable) ||
      Contains(kServerCodes, bare)) {
    return ErrorKind::kTransient;
  }
  if (Contains(kRejectedCodes, bare)) return ErrorKind::kQueryFailed;
  if (http_status == 401) return ErrorKind::kAuth;
  if (http_status == 403) return ErrorKind::kPermission;
  if (http_status == 404) return ErrorKind::kNotFound;
  if (http_status == 301) return ErrorKind::kConfig;
  if (http_status >= 400 && http_status < 500) return ErrorKind::kQueryFailed;
  return ErrorKind::kProtocol;
}

}  // namespace ac::aws
