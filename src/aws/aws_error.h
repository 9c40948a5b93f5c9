#pragma once

#include <string>
#include <string_view>

#include "aws/retry.h"
#include "common/error.h"

namespace ac::aws {

/// How the retry policy sees an AWS error code and HTTP status (code may be empty): the one
/// reading of retryable codes (aws_error.cc).
FailureClass ClassifyAwsError(int http_status, std::string_view code);

/// An error response from an AWS service. what() reads
/// "<Service> <Operation> failed: <Code>: <Message> (HTTP <status>, request id <id>)".
class AwsError : public common::Error {
 public:
  AwsError(common::ErrorKind kind, std::string service, std::string operation, int http_status,
           std::string code, std::string message, std::string request_id);

  const std::string& service() const { return service_; }
  const std::string& operation() const { return operation_; }
  int http_status() const { return http_status_; }
  const std::string& code() const { return code_; }
  const std::string& aws_message() const { return aws_message_; }
  const std::string& request_id() const { return request_id_; }
  FailureClass failure_class() const { return ClassifyAwsError(http_status_, code_); }

  /// Maps code/status to an ErrorKind (AccessDenied -> kPermission, signature/key errors -> kAuth,
  /// throttling/5xx -> kTransient, NoSuchKey/ResourceNotFound -> kNotFound, ...).
  static common::ErrorKind KindFor(int http_status, const std::string& code);

 private:
  std::string service_;
  std::string operation_;
  int http_status_;
  std::string code_;
  std::string aws_message_;
  std::string request_id_;
};

}  // namespace ac::aws
