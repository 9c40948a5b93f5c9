#include "fivetran/status.h"

#include <gtest/gtest.h>

namespace ac::fivetran {
namespace {

using common::ErrorKind;

TEST(StatusTest, ErrorKindsMapToStatusCodes) {
  EXPECT_EQ(StatusCodeFor(ErrorKind::kConfig), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(StatusCodeFor(ErrorKind::kAuth), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(StatusCodeFor(ErrorKind::kPermission), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(StatusCodeFor(ErrorKind::kNotFound), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(StatusCodeFor(ErrorKind::kTransient), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(StatusCodeFor(ErrorKind::kCancelled), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(StatusCodeFor(ErrorKind::kQueryFailed), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(StatusCodeFor(ErrorKind::kProtocol), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(StatusCodeFor(ErrorKind::kInternal), grpc::StatusCode::INTERNAL);
}

TEST(StatusTest, ErrorKindTokensRoundTrip) {
  for (ErrorKind kind : {ErrorKind::kConfig, ErrorKind::kAuth, ErrorKind::kPermission,
                         ErrorKind::kNotFound, ErrorKind::kTransient, ErrorKind::kQueryFailed,
                         ErrorKind::kProtocol, ErrorKind::kCancelled, ErrorKind::kInternal}) {
    EXPECT_EQ(ErrorKindFromToken(ErrorKindToken(kind)), kind);
  }
  EXPECT_EQ(ErrorKindFromToken("bogus"), std::nullopt);
  EXPECT_EQ(ErrorKindForStatus(grpc::StatusCode::UNAVAILABLE), ErrorKind::kTransient);
  EXPECT_EQ(ErrorKindForStatus(grpc::StatusCode::CANCELLED), ErrorKind::kCancelled);
  EXPECT_EQ(ErrorKindForStatus(grpc::StatusCode::INTERNAL), ErrorKind::kInternal);
}

TEST(StatusTest, StatusForErrorIsOneLine) {
  const grpc::Status status = StatusFor(common::AuthError("bad key\nsecond line\r\n"));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(status.error_message(), "bad key second line");
  EXPECT_EQ(StatusCodeName(grpc::StatusCode::FAILED_PRECONDITION), "FAILED_PRECONDITION");
}

TEST(StatusTest, OneLineCapsWithoutSplittingUtf8) {
  const std::string text = std::string(9, 'a') + "\xC3\xA9\xC3\xA9";
  EXPECT_EQ(OneLine(text, 10), std::string(9, 'a'));
  EXPECT_EQ(OneLine(text, 11), std::string(9, 'a') + "\xC3\xA9");
  EXPECT_EQ(OneLine(text, 100), text);
}

}  // namespace
}  // namespace ac::fivetran
