#include "aws/aws_error.h"

#include <gtest/gtest.h>

#include <string>

namespace ac::aws {
namespace {

using common::ErrorKind;

struct KindCase {
  int status;
  const char* code;
  ErrorKind expected;
};

TEST(AwsErrorTest, KindForTable) {
  const KindCase cases[] = {
      // permissions
      {403, "AccessDenied", ErrorKind::kPermission},
      {400, "AccessDeniedException", ErrorKind::kPermission},
      {403, "NotAuthorized", ErrorKind::kPermission},
      {403, "", ErrorKind::kPermission},  // Forbidden without a code (HEAD responses have no body)
      {403, "Forbidden", ErrorKind::kPermission},
      {403, "SomethingNew", ErrorKind::kPermission},
      // credentials / signature
      {403, "InvalidClientTokenId", ErrorKind::kAuth},
      {400, "UnrecognizedClientException", ErrorKind::kAuth},
      {403, "InvalidSignatureException", ErrorKind::kAuth},
      {403, "SignatureDoesNotMatch", ErrorKind::kAuth},
      {403, "InvalidAccessKeyId", ErrorKind::kAuth},
      {403, "IncompleteSignature", ErrorKind::kAuth},
      {400, "ExpiredToken", ErrorKind::kAuth},
      {400, "ExpiredTokenException", ErrorKind::kAuth},
      {403, "RequestExpired", ErrorKind::kAuth},
      {403, "RequestTimeTooSkewed", ErrorKind::kAuth},
      {401, "AuthFailure", ErrorKind::kAuth},
      {401, "", ErrorKind::kAuth},
      {400, "com.amazonaws.athena#UnrecognizedClientException", ErrorKind::kAuth},
      // configuration
      {400, "AuthorizationHeaderMalformed", ErrorKind::kConfig},
      {301, "PermanentRedirect", ErrorKind::kConfig},
      {301, "", ErrorKind::kConfig},
      {400, "InvalidBucketName", ErrorKind::kConfig},
      // not found
      {404, "NoSuchKey", ErrorKind::kNotFound},
      {404, "NoSuchBucket", ErrorKind::kNotFound},
      {400, "ResourceNotFoundException", ErrorKind::kNotFound},
      {400, "EntityNotFoundException", ErrorKind::kNotFound},
      {404, "", ErrorKind::kNotFound},
      // retryable classes
      {400, "ThrottlingException", ErrorKind::kTransient},
      {400, "TooManyRequestsException", ErrorKind::kTransient},
      {503, "SlowDown", ErrorKind::kTransient},
      {429, "", ErrorKind::kTransient},
      {500, "", ErrorKind::kTransient},
      {500, "InternalServerException", ErrorKind::kTransient},
      {502, "", ErrorKind::kTransient},
      {503, "", ErrorKind::kTransient},
      {504, "", ErrorKind::kTransient},
      {400, "RequestTimeout", ErrorKind::kTransient},
      {400, "InternalError", ErrorKind::kTransient},
      // requests the service rejected
      {400, "InvalidRequestException", ErrorKind::kQueryFailed},
      {400, "ValidationException", ErrorKind::kQueryFailed},
      {400, "MetadataException", ErrorKind::kQueryFailed},
      {400, "InvalidParameterException", ErrorKind::kQueryFailed},
      {416, "InvalidRange", ErrorKind::kQueryFailed},
      {400, "", ErrorKind::kQueryFailed},
      {409, "SomethingElse", ErrorKind::kQueryFailed},
      // a peer that does not speak the protocol
      {501, "NotImplemented", ErrorKind::kProtocol},
      {505, "", ErrorKind::kProtocol},
      {302, "", ErrorKind::kProtocol},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(AwsError::KindFor(c.status, c.code), c.expected)
        << c.status << " " << c.code << " -> "
        << common::ErrorKindName(AwsError::KindFor(c.status, c.code));
  }
}

TEST(AwsErrorTest, MessageFormat) {
  const AwsError error(ErrorKind::kQueryFailed, "athena", "StartQueryExecution", 400,
                       "InvalidRequestException", "line 1:8: Column 'x' cannot be resolved",
                       "a1b2c3");
  EXPECT_STREQ(error.what(),
               "Athena StartQueryExecution failed: InvalidRequestException: line 1:8: Column 'x' "
               "cannot be resolved (HTTP 400, request id a1b2c3)");
  EXPECT_EQ(error.kind(), ErrorKind::kQueryFailed);
  EXPECT_EQ(error.service(), "athena");
  EXPECT_EQ(error.operation(), "StartQueryExecution");
  EXPECT_EQ(error.http_status(), 400);
  EXPECT_EQ(error.code(), "InvalidRequestException");
  EXPECT_EQ(error.aws_message(), "line 1:8: Column 'x' cannot be resolved");
  EXPECT_EQ(error.request_id(), "a1b2c3");
  EXPECT_EQ(error.failure_class(), FailureClass::kNonRetryable);
  EXPECT_FALSE(error.IsUserActionable());
}

TEST(AwsErrorTest, MessageWithMissingParts) {
  EXPECT_STREQ(AwsError(ErrorKind::kPermission, "s3", "HeadObject", 403, "", "", "").what(),
               "S3 HeadObject failed: no error details (HTTP 403)");
  EXPECT_STREQ(AwsError(ErrorKind::kNotFound, "s3", "GetObject", 404, "NoSuchKey", "", "r").what(),
               "S3 GetObject failed: NoSuchKey (HTTP 404, request id r)");
  EXPECT_STREQ(AwsError(ErrorKind::kTransient, "sts", "AssumeRole", 500, "", "boom", "").what(),
               "STS AssumeRole failed: boom (HTTP 500)");
  EXPECT_STREQ(AwsError(ErrorKind::kTransient, "glue", "", 503, "x", "", "").what(),
               "Glue failed: x (HTTP 503)");
}

TEST(AwsErrorTest, MessageIsOneLine) {
  const AwsError error(ErrorKind::kQueryFailed, "athena", "GetQueryResults", 400, "X",
                       "first line\r\n\tsecond   line\n", "id\n1");
  EXPECT_STREQ(
      error.what(),
      "Athena GetQueryResults failed: X: first line second   line (HTTP 400, request id id 1)");
  const AwsError huge(ErrorKind::kQueryFailed, "athena", "Op", 400, "X", std::string(5000, 'm'),
                      "");
  EXPECT_LT(std::string(huge.what()).size(), 1200u);
  EXPECT_EQ(std::string(huge.what()).find('\n'), std::string::npos);
}

TEST(AwsErrorTest, UserActionableKinds) {
  EXPECT_TRUE(AwsError(AwsError::KindFor(403, "AccessDenied"), "s3", "GetObject", 403,
                       "AccessDenied", "Access Denied", "")
                  .IsUserActionable());
  EXPECT_TRUE(AwsError(AwsError::KindFor(403, "SignatureDoesNotMatch"), "s3", "GetObject", 403,
                       "SignatureDoesNotMatch", "", "")
                  .IsUserActionable());
  EXPECT_FALSE(AwsError(AwsError::KindFor(400, "ThrottlingException"), "athena",
                        "GetQueryExecution", 400, "ThrottlingException", "Rate exceeded", "")
                   .IsUserActionable());
}

struct ClassificationCase {
  int status;
  const char* code;
  FailureClass expected;
};

TEST(ClassifyAwsErrorTest, Table) {
  const ClassificationCase cases[] = {
      // success
      {200, "", FailureClass::kNone},
      {206, "", FailureClass::kNone},
      // transient codes, whatever the status
      {400, "RequestTimeout", FailureClass::kTransient},
      {400, "RequestTimeoutException", FailureClass::kTransient},
      {400, "PriorRequestNotComplete", FailureClass::kTransient},
      // transient statuses
      {500, "", FailureClass::kTransient},
      {500, "InternalServerException", FailureClass::kTransient},
      {502, "", FailureClass::kTransient},
      {503, "ServiceUnavailable", FailureClass::kTransient},
      {504, "", FailureClass::kTransient},
      {0, "", FailureClass::kTransient},  // no response at all
      // throttling codes
      {400, "Throttling", FailureClass::kThrottling},
      {400, "ThrottlingException", FailureClass::kThrottling},
      {400, "ThrottledException", FailureClass::kThrottling},
      {400, "RequestThrottledException", FailureClass::kThrottling},
      {400, "TooManyRequestsException", FailureClass::kThrottling},
      {400, "ProvisionedThroughputExceededException", FailureClass::kThrottling},
      {400, "TransactionInProgressException", FailureClass::kThrottling},
      {400, "RequestLimitExceeded", FailureClass::kThrottling},
      {509, "BandwidthLimitExceeded", FailureClass::kThrottling},
      {400, "LimitExceededException", FailureClass::kThrottling},
      {400, "RequestThrottled", FailureClass::kThrottling},
      {503, "SlowDown", FailureClass::kThrottling},  // the code wins over the 503
      {400, "EC2ThrottledException", FailureClass::kThrottling},
      {429, "", FailureClass::kThrottling},
      {429, "Whatever", FailureClass::kThrottling},
      // namespaced codes (JSON protocols)
      {400, "com.amazonaws.athena#ThrottlingException", FailureClass::kThrottling},
      {400, "ThrottlingException:http://internal.amazon.com/", FailureClass::kThrottling},
      // everything else
      {400, "InvalidRequestException", FailureClass::kNonRetryable},
      {400, "MetadataException", FailureClass::kNonRetryable},
      {403, "AccessDenied", FailureClass::kNonRetryable},
      {403, "SignatureDoesNotMatch", FailureClass::kNonRetryable},
      {404, "NoSuchKey", FailureClass::kNonRetryable},
      {400, "", FailureClass::kNonRetryable},
      {501, "NotImplemented", FailureClass::kNonRetryable},
      {509, "", FailureClass::kNonRetryable},
      {301, "PermanentRedirect", FailureClass::kNonRetryable},
      {200, "ThrottlingException", FailureClass::kThrottling},  // S3 200-with-error body
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ClassifyAwsError(c.status, c.code), c.expected) << c.status << " " << c.code;
  }
}

}  // namespace
}  // namespace ac::aws
