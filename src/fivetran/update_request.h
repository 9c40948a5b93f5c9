#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/error.h"
#include "connector/config.h"
#include "connector/connector.h"
#include "fivetran/convert.h"
#include "fivetran/grpc_record_sink.h"

namespace ac::fivetran {

/// The configuration map of a request as the connector's key/value map.
std::map<std::string, std::string> ConfigurationMap(
    const google::protobuf::Map<std::string, std::string>& configuration);

/// Thrown for a state_json that is not a state of this connector (gRPC INVALID_ARGUMENT: the
/// state, not the configuration, is wrong). Its kind is kConfig like every unusable state (the
/// fix is the user's: reset the connection's state), so `debug` exits 2 for any bad state.
class InvalidStateError : public common::Error {
 public:
  explicit InvalidStateError(const std::string& message)
      : common::Error(common::ErrorKind::kConfig, message) {}
};

/// The request's state: "" when absent, empty or blank (first sync), else the text verbatim
/// after checking that it is a JSON object this connector can resume from (SyncState::Parse).
/// Throws InvalidStateError.
std::string ValidatedState(const pb::UpdateRequest& request);

/// An Update's selection mapped onto the configured tables.
struct SelectionPlan {
  bool has_selection = false;
  connector::Selection selection;     ///< only configured tables
  KnownTables known_tables;           ///< what Fivetran knows (for schema_change decisions)
  std::vector<std::string> warnings;  ///< e.g. a selected table that is not configured
};

/// Converts Fivetran's selection (without_schema, or with_schema flattened) for `config`: tables
/// the configuration does not define are dropped with a warning each (the rest syncs).
SelectionPlan PlanSelection(const pb::UpdateRequest& request, const connector::Config& config);

}  // namespace ac::fivetran
