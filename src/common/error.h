#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace ac::common {

/// What went wrong, from the point of view of whoever must act on it. Errors are thrown inside and
/// mapped once at the edges (CLI exit code + one line, gRPC status or Fivetran Task).
enum class ErrorKind {
  kConfig,       ///< invalid or missing configuration; the user must fix the configuration
  kAuth,         ///< wrong or expired credentials, bad signature; the user must fix credentials
  kPermission,   ///< credentials are valid but lack a permission (AccessDenied)
  kNotFound,     ///< a named database, table, bucket, object or query does not exist
  kTransient,    ///< network failure, timeout, 5xx, throttling: retrying later may succeed
  kQueryFailed,  ///< Athena ran the query and it failed (SQL error, limits)
  kProtocol,     ///< a peer sent something malformed
  kCancelled,    ///< the operation was interrupted (SIGINT/SIGTERM, client cancelled)
  kInternal,     ///< a bug in this program
};

std::string_view ErrorKindName(ErrorKind kind);

/// Base of the project's exception hierarchy. what() is a single line naming the cause, never
/// containing a secret.
class Error : public std::runtime_error {
 public:
  Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  ErrorKind kind() const { return kind_; }
  /// True when the user (not a retry) must act: configuration, credentials, permissions, names.
  bool IsUserActionable() const {
    return kind_ == ErrorKind::kConfig || kind_ == ErrorKind::kAuth ||
           kind_ == ErrorKind::kPermission || kind_ == ErrorKind::kNotFound;
  }

 private:
  ErrorKind kind_;
};

class ConfigError : public Error {
 public:
  explicit ConfigError(const std::string& message) : Error(ErrorKind::kConfig, message) {}
};
class AuthError : public Error {
 public:
  explicit AuthError(const std::string& message) : Error(ErrorKind::kAuth, message) {}
};
class PermissionError : public Error {
 public:
  explicit PermissionError(const std::string& message) : Error(ErrorKind::kPermission, message) {}
};
class NotFoundError : public Error {
 public:
  explicit NotFoundError(const std::string& message) : Error(ErrorKind::kNotFound, message) {}
};
class TransientError : public Error {
 public:
  explicit TransientError(const std::string& message) : Error(ErrorKind::kTransient, message) {}
};
class QueryFailedError : public Error {
 public:
  explicit QueryFailedError(const std::string& message) : Error(ErrorKind::kQueryFailed, message) {}
};
class ProtocolError : public Error {
 public:
  explicit ProtocolError(const std::string& message) : Error(ErrorKind::kProtocol, message) {}
};
class CancelledError : public Error {
 public:
  explicit CancelledError(const std::string& message) : Error(ErrorKind::kCancelled, message) {}
};
class InternalError : public Error {
 public:
  explicit InternalError(const std::string& message) : Error(ErrorKind::kInternal, message) {}
};

}  // namespace ac::common
