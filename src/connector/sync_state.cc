#include "connector/sync_state.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_error.h"
#include "connector/cursor.h"

namespace ac::connector {
namespace {

using nlohmann::json;
constexpr int kStateVersion = 1;

const char* StatusName(TableState::Status status) {
  switch (status) {
    case TableState::Status::kInProgress:
      return "in_progress";
    case TableState::Status::kComplete:
      return "complete";
    case TableState::Status::kNone:
      break;
  }
  return "none";
}

}  // namespace

SyncState SyncState::Parse(const std::string& state_json) {
  SyncState state;
  if (state_json.find_first_not_of(" \t\r\n") == std::string::npos) return state;
  json doc;
  try {
    doc = json::parse(state_json);
  } catch (const json::exception& e) {
    throw common::ConfigError(
        fmt::format("the saved state is not valid JSON ({}); reset the connection's state",
                    common::JsonErrorWithoutInput(e)));
  }
  if (!doc.is_object())
    throw common::ConfigError(
        "the saved state must be a JSON object; reset the connection's state");
  if (doc.empty()) return state;
  try {
    if (doc.value("version", 0) != kStateVersion) {
      throw common::ConfigError(
          fmt::format("the saved state has version {}, this connector writes version {}; reset the "
                      "connection's state",
                      doc.value("version", 0), kStateVersion));
    }
    for (const auto& [name, entry] : doc.at("tables").items()) {
      TableState table;
      const std::string status = entry.value("status", "none");
      table.status = status == "in_progress" ? TableState::Status::kInProgress
                     : status == "complete"  ? TableState::Status::kComplete
                                             : TableState::Status::kNone;
      table.sql_hash = entry.value("sql_hash", "");
      table.query_execution_id = entry.value("query_execution_id", "");
      table.truncated = entry.value("truncated", false);
      table.fetcher = entry.value("fetcher", "");
      table.unload_prefix = entry.value("unload_prefix", "");
      table.rows_synced = entry.value("rows_synced", int64_t{0});
      table.cursor_value = entry.value("cursor_value", "");
      table.cursor_type = entry.value("cursor_type", "");
      table.completed_at = entry.value("completed_at", "");
      table.pending_cursor_value = entry.value("pending_cursor_value", "");
      if (const auto pos = entry.find("position"); pos != entry.end() && pos->is_object()) {
        table.position.fetcher = pos->value("fetcher", "");
        table.position.rows_read = pos->value("rows_read", int64_t{0});
        table.position.next_token = pos->value("next_token", "");
        table.position.byte_offset = pos->value("byte_offset", int64_t{0});
        table.position.at_end = pos->value("at_end", false);
        table.position.file_rows_done = pos->value("file_rows_done", int64_t{0});
        if (const auto files = pos->find("files_done"); files != pos->end() && files->is_array()) {
          for (const auto& file : *files)
            table.position.files_done.push_back(file.get<std::string>());
        }
      }
      // A cursor that is not a literal of its type would otherwise end up in the SQL.
      for (const std::string* cursor : {&table.cursor_value, &table.pending_cursor_value}) {
        if (!cursor->empty()) CursorLiteral(table.cursor_type, *cursor);
      }
      state.tables[name] = std::move(table);
    }
  } catch (const json::exception& e) {
    throw common::ConfigError(fmt::format(
        "the saved state is not a state this connector wrote ({}); reset the connection's state",
        e.what()));
  }
  return state;
}

std::string SyncState::ToJson() const {
  json tables_json = json::object();
  for (const auto& [name, table] : tables) {
    json entry = {{"status", StatusName(table.status)},
                  {"sql_hash", table.sql_hash},
                  {"query_execution_id", table.query_execution_id},
                  {"rows_synced", table.rows_synced}};
    if (table.status == TableState::Status::kInProgress) {
      entry["truncated"] = table.truncated;
      if (!table.fetcher.empty()) entry["fetcher"] = table.fetcher;
      if (!table.unload_prefix.empty()) entry["unload_prefix"] = table.unload_prefix;
      json position = {{"fetcher", table.position.fetcher},
                       {"rows_read", table.position.rows_read},
                       {"at_end", table.position.at_end}};
      if (!table.position.next_token.empty()) position["next_token"] = table.position.next_token;
      if (table.position.byte_offset != 0) position["byte_offset"] = table.position.byte_offset;
      if (!table.position.files_done.empty()) position["files_done"] = table.position.files_done;
      if (table.position.file_rows_done != 0)
        position["file_rows_done"] = table.position.file_rows_done;
      entry["position"] = std::move(position);
      if (!table.pending_cursor_value.empty())
        entry["pending_cursor_value"] = table.pending_cursor_value;
    }
    if (!table.cursor_value.empty()) {
      entry["cursor_value"] = table.cursor_value;
      entry["cursor_type"] = table.cursor_type;
    }
    if (!table.completed_at.empty()) entry["completed_at"] = table.completed_at;
    tables_json[name] = std::move(entry);
  }
  return json{{"version", kStateVersion}, {"tables", std::move(tables_json)}}.dump();
}

}  // namespace ac::connector
