#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <grpcpp/grpcpp.h>

#include "common/error.h"

namespace ac::fivetran {

/// Trailing-metadata key carrying the common::ErrorKind of a failed RPC (or of a failed Test), so
/// that `debug`, playing Fivetran's side, can map a failure to the right exit code. Fivetran
/// ignores unknown metadata.
inline constexpr char kErrorKindMetadataKey[] = "x-ac-error-kind";

/// Short stable token of an error kind ("config", "auth", "permission", "not_found", "transient",
/// "query_failed", "protocol", "cancelled", "internal") and back (nullopt for unknown tokens).
std::string_view ErrorKindToken(common::ErrorKind kind);
std::optional<common::ErrorKind> ErrorKindFromToken(std::string_view token);

/// gRPC status code for an error: user-actionable (config, auth, permission, not found) ->
/// FAILED_PRECONDITION; transient -> UNAVAILABLE; cancelled -> CANCELLED; others -> INTERNAL.
grpc::StatusCode StatusCodeFor(common::ErrorKind kind);

/// The error kind implied by a status code when no metadata says better.
common::ErrorKind ErrorKindForStatus(grpc::StatusCode code);

/// `text` on one line: CR/LF/tabs become spaces, trimmed, capped at `max_bytes`.
std::string OneLine(std::string_view text, size_t max_bytes = 2000);

/// Status for `error` with a one-line message.
grpc::Status StatusFor(const common::Error& error);

/// Name of a status code ("FAILED_PRECONDITION").
std::string_view StatusCodeName(grpc::StatusCode code);

}  // namespace ac::fivetran
