#include "common/error.h"

namespace ac::common {

std::string_view ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kConfig:
      return "configuration error";
    case ErrorKind::kAuth:
      return "authentication error";
    case ErrorKind::kPermission:
      return "permission error";
    case ErrorKind::kNotFound:
      return "not found";
    case ErrorKind::kTransient:
      return "transient error";
    case ErrorKind::kQueryFailed:
      return "query failed";
    case ErrorKind::kProtocol:
      return "protocol error";
    case ErrorKind::kCancelled:
      return "cancelled";
    case ErrorKind::kInternal:
      return "internal error";
  }
  return "error";
}

}  // namespace ac::common
