#include "fivetran/update_request.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <set>

#include "connector/sync_state.h"
#include "fivetran/status.h"

namespace ac::fivetran {
namespace {

std::string_view JsonTypeName(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return "a number";
    default:
      return "not an object";
  }
}

/// Adds Fivetran's choice for `table` (of `schema`, "" for without_schema) under `key`, the
/// connector's name for it.
void AddTable(const pb::TableSelection& table, const std::string& key, bool schema_included,
              SelectionPlan& plan, const std::set<std::string>* configured) {
  const bool included = schema_included && table.included();
  if (configured != nullptr && !configured->count(key)) {
    if (included) {
      plan.warnings.push_back(
          fmt::format("table '{}' is selected but not defined by this connection's configuration; "
                      "it is skipped",
                      key));
    }
    return;
  }
  connector::TableSelection& out = plan.selection.tables[key];
  out.included = included;
  out.include_new_columns = table.include_new_columns();
  auto& known_columns = plan.known_tables.tables[key];
  for (const auto& [column, column_included] : table.columns()) {
    out.columns[column] = column_included;
    known_columns.insert(column);
  }
}

}  // namespace

std::map<std::string, std::string> ConfigurationMap(
    const google::protobuf::Map<std::string, std::string>& configuration) {
  return std::map<std::string, std::string>(configuration.begin(), configuration.end());
}

std::string ValidatedState(const pb::UpdateRequest& request) {
  if (!request.has_state_json()) return "";
  const std::string& text = request.state_json();
  // Size and UTF-8 before anything parses it (a huge state would take long and much memory).
  try {
    connector::SyncState::CheckText(text);
  } catch (const common::Error& e) {
    throw InvalidStateError(OneLine(fmt::format("state_json is not usable: {}", e.what()), 500));
  }
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return "";
  nlohmann::json state;
  try {
    state = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    // nlohmann's message names the position; the state never holds a secret.
    std::string detail = e.what();
    const size_t bracket = detail.find("] ");
    if (detail.rfind("[json.exception", 0) == 0 && bracket != std::string::npos)
      detail = detail.substr(bracket + 2);
    throw InvalidStateError(OneLine(fmt::format("state_json is not valid JSON: {}", detail), 500));
  }
  if (!state.is_object()) {
    throw InvalidStateError(
        fmt::format("state_json must be a JSON object, got {}", JsonTypeName(state)));
  }
  // A JSON object this connector did not write (wrong version, wrong shapes) is as unusable.
  try {
    connector::SyncState::Parse(text);
  } catch (const common::Error& e) {
    throw InvalidStateError(
        OneLine(fmt::format("state_json is not a state of this connector: {}", e.what()), 500));
  }
  return text;
}

SelectionPlan PlanSelection(const pb::UpdateRequest& request, const connector::Config& config) {
  SelectionPlan plan;
  if (!request.has_selection()) return plan;
  const pb::Selection& selection = request.selection();
  // Configured tables filter the selection; discovered ones (tables = *) are matched by the
  // connector against the catalog at sync time.
  std::set<std::string> configured_tables;
  for (const auto& table : config.tables) configured_tables.insert(table.destination_table);
  const std::set<std::string>* configured = config.discover_tables ? nullptr : &configured_tables;

  switch (selection.selection_case()) {
    case pb::Selection::kWithoutSchema:
      plan.has_selection = true;
      plan.selection.include_new_tables = selection.without_schema().include_new_tables();
      for (const auto& table : selection.without_schema().tables())
        AddTable(table, table.table_name(), true, plan, configured);
      break;
    case pb::Selection::kWithSchema: {
      plan.has_selection = true;
      const auto& with_schema = selection.with_schema();
      if (config.UsesSchemas()) {
        // One schema per database: tables are `schema.table`, schemas chosen one by one.
        plan.selection.include_new_schemas = with_schema.include_new_schemas();
        for (const auto& schema : with_schema.schemas()) {
          plan.selection.schemas[schema.schema_name()] =
              connector::SchemaSelection{schema.included(), schema.include_new_tables()};
          for (const auto& table : schema.tables()) {
            AddTable(table, schema.schema_name() + "." + table.table_name(), schema.included(),
                     plan, configured);
          }
        }
        break;
      }
      // The tables of this connection go to one schema; a with_schema selection is read flat.
      bool include_new_tables = with_schema.include_new_schemas();
      for (const auto& schema : with_schema.schemas()) {
        include_new_tables =
            include_new_tables || (schema.included() && schema.include_new_tables());
        for (const auto& table : schema.tables())
          AddTable(table, table.table_name(), schema.included(), plan, configured);
      }
      plan.selection.include_new_tables = include_new_tables;
      break;
    }
    case pb::Selection::SELECTION_NOT_SET:
      break;
  }
  plan.known_tables.enabled = plan.has_selection;
  return plan;
}

}  // namespace ac::fivetran
