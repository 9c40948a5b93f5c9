#include "fivetran/status.h"

#include <algorithm>

namespace ac::fivetran {

using common::ErrorKind;

std::string_view ErrorKindToken(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConfig:
      return "config";
    case ErrorKind::kAuth:
      return "auth";
    case ErrorKind::kPermission:
      return "permission";
    case ErrorKind::kNotFound:
      return "not_found";
    case ErrorKind::kTransient:
      return "transient";
    case ErrorKind::kQueryFailed:
      return "query_failed";
    case ErrorKind::kProtocol:
      return "protocol";
    case ErrorKind::kCancelled:
      return "cancelled";
    case ErrorKind::kInternal:
      return "internal";
  }
  return "internal";
}

std::optional<ErrorKind> ErrorKindFromToken(std::string_view token) {
  for (ErrorKind kind : {ErrorKind::kConfig, ErrorKind::kAuth, ErrorKind::kPermission,
                         ErrorKind::kNotFound, ErrorKind::kTransient, ErrorKind::kQueryFailed,
                         ErrorKind::kProtocol, ErrorKind::kCancelled, ErrorKind::kInternal}) {
    if (ErrorKindToken(kind) == token) return kind;
  }
  return std::nullopt;
}

grpc::StatusCode StatusCodeFor(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConfig:
    case ErrorKind::kAuth:
    case ErrorKind::kPermission:
    case ErrorKind::kNotFound:
      return grpc::StatusCode::FAILED_PRECONDITION;
    case ErrorKind::kTransient:
      return grpc::StatusCode::UNAVAILABLE;
    case ErrorKind::kCancelled:
      return grpc::StatusCode::CANCELLED;
    case ErrorKind::kQueryFailed:
    case ErrorKind::kProtocol:
    case ErrorKind::kInternal:
      return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::INTERNAL;
}

ErrorKind ErrorKindForStatus(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::FAILED_PRECONDITION:
      return ErrorKind::kConfig;
    case grpc::StatusCode::INVALID_ARGUMENT:
      return ErrorKind::kConfig;
    case grpc::StatusCode::UNAUTHENTICATED:
      return ErrorKind::kAuth;
    case grpc::StatusCode::PERMISSION_DENIED:
      return ErrorKind::kPermission;
    case grpc::StatusCode::NOT_FOUND:
      return ErrorKind::kNotFound;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::DEADLINE_EXCEEDED:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::ABORTED:
      return ErrorKind::kTransient;
    case grpc::StatusCode::CANCELLED:
      return ErrorKind::kCancelled;
    default:
      return ErrorKind::kInternal;
  }
}

std::string OneLine(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (const char c : text) {
    if (out.size() >= max_bytes) break;
    const bool space = c == '\n' || c == '\r' || c == '\t';
    if (space) {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  // Do not leave half of a UTF-8 sequence at a cut.
  size_t lead = out.size();
  while (lead > 0 && (static_cast<unsigned char>(out[lead - 1]) & 0xC0) == 0x80) --lead;
  if (lead > 0 && static_cast<unsigned char>(out[lead - 1]) >= 0xC0) {
    const unsigned char first = static_cast<unsigned char>(out[lead - 1]);
    const size_t expected = first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : 2;
    if (out.size() - (lead - 1) < expected) out.resize(lead - 1);
  }
  return out;
}

grpc::Status StatusFor(const common::Error& error) {
  return grpc::Status(StatusCodeFor(error.kind()), OneLine(error.what()));
}

std::string_view StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::UNKNOWN:
      return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE:
      return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    default:
      return "UNKNOWN";
  }
}

}  // namespace ac::fivetran
