// gRPC Update requests (fivetran/update_request.h), without networking: arbitrary bytes decoded
// as the protobuf UpdateRequest, then what RunUpdate does before it syncs: the state check, the
// configuration map and its parsing, the selection plan. Each refuses with one of our errors or
// succeeds.
//
// Input: the serialized UpdateRequest.

#include <string>

#include "common/error.h"
#include "connector/config.h"
#include "fivetran/update_request.h"
#include "fuzz_target.h"

AC_FUZZ_TARGET(update_request) {
  ac::fivetran::pb::UpdateRequest request;
  if (!request.ParseFromArray(data, static_cast<int>(size))) return 0;
  try {
    const std::string state = ac::fivetran::ValidatedState(request);
    if (!state.empty()) AC_FUZZ_CHECK(state == request.state_json());
  } catch (const ac::fivetran::InvalidStateError&) {
  }
  ac::connector::Config config;
  bool configured = false;
  try {
    config = ac::connector::Config::Parse(ac::fivetran::ConfigurationMap(request.configuration()));
    configured = true;
  } catch (const ac::common::ConfigError&) {
  }
  if (!configured) {
    // The selection plan on its own, against a configuration that discovers its tables and one
    // with a fixed table.
    config.discover_tables = true;
    (void)ac::fivetran::PlanSelection(request, config);
    config.discover_tables = false;
    config.tables.resize(1);
    config.tables[0].destination_table = "customers";
  }
  const ac::fivetran::SelectionPlan plan = ac::fivetran::PlanSelection(request, config);
  if (plan.has_selection) AC_FUZZ_CHECK(request.has_selection());
  return 0;
}
