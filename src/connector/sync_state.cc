#include "connector/sync_state.h"

#include <fmt/format.h>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/json_error.h"
#include "connector/cursor.h"
#include "connector/partitions.h"

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

/// Offset of the first byte that is not part of well-formed UTF-8 (overlongs, surrogates and
/// code points past U+10FFFF included), or npos.
size_t FirstInvalidUtf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t length = 0;
    uint32_t min = 0;
    uint32_t code = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      length = 2, min = 0x80, code = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      length = 3, min = 0x800, code = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      length = 4, min = 0x10000, code = c & 0x07;
    } else {
      return i;
    }
    if (i + length > text.size()) return i;
    for (size_t k = 1; k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return i;
      code = (code << 6) | (next & 0x3F);
    }
    if (code < min || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return i;
    i += length;
  }
  return std::string_view::npos;
}

[[noreturn]] void Invalid(const std::string& problem) {
  throw common::ConfigError(
      fmt::format("invalid state: {}; reset the connection's state", problem));
}

/// A non-negative integer member (absent = 0).
int64_t Count(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) return 0;
  if (!it->is_number_integer() || it->get<int64_t>() < 0)
    Invalid(fmt::format("{}.{} must be a non-negative integer", where, key));
  return it->get<int64_t>();
}

/// A string member (absent = "").
std::string Text(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) return {};
  if (!it->is_string()) Invalid(fmt::format("{}.{} must be a string", where, key));
  return it->get<std::string>();
}

/// A boolean member (absent = false).
bool Flag(const json& object, const char* key, const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end()) return false;
  if (!it->is_boolean()) Invalid(fmt::format("{}.{} must be true or false", where, key));
  return it->get<bool>();
}

}  // namespace

void SyncState::CheckText(std::string_view state_json) {
  if (state_json.size() > kMaxBytes) {
    Invalid(fmt::format("the saved state is {} bytes, more than the limit of {} bytes",
                        state_json.size(), kMaxBytes));
  }
  if (const size_t bad = FirstInvalidUtf8(state_json); bad != std::string_view::npos)
    Invalid(fmt::format("the saved state is not valid UTF-8 (byte {})", bad));
}

SyncState SyncState::Parse(const std::string& state_json) {
  SyncState state;
  CheckText(state_json);
  if (state_json.find_first_not_of(" \t\r\n") == std::string::npos) return state;
  json doc;
  try {
    doc = json::parse(state_json);
  } catch (const json::exception& e) {
    Invalid(
        fmt::format("the saved state is not valid JSON ({})", common::JsonErrorWithoutInput(e)));
  }
  if (!doc.is_object()) Invalid("the saved state must be a JSON object");
  if (doc.empty()) return state;
  const auto version = doc.find("version");
  if (version == doc.end() || !version->is_number_integer() ||
      version->get<int64_t>() != kStateVersion) {
    Invalid(fmt::format("the saved state has version {}, this connector writes version {}",
                        version == doc.end()           ? std::string("none")
                        : version->is_number_integer() ? std::to_string(version->get<int64_t>())
                                                       : std::string("that is not a number"),
                        kStateVersion));
  }
  const auto tables = doc.find("tables");
  if (tables == doc.end() || !tables->is_object())
    Invalid("the saved state has no \"tables\" object");
  state.sync_id = Text(doc, "sync_id", "the saved state");
  for (const auto& [name, entry] : tables->items()) {
    const std::string where = "table entry " + std::to_string(state.tables.size() + 1);
    if (!entry.is_object()) Invalid(where + " is not an object");
    TableState table;
    const std::string status = Text(entry, "status", where);
    if (status == "in_progress") {
      table.status = TableState::Status::kInProgress;
    } else if (status == "complete") {
      table.status = TableState::Status::kComplete;
    } else if (status.empty() || status == "none") {
      table.status = TableState::Status::kNone;
    } else {
      Invalid(where + ".status must be in_progress, complete or none");
    }
    table.sql_hash = Text(entry, "sql_hash", where);
    table.query_execution_id = Text(entry, "query_execution_id", where);
    table.truncated = Flag(entry, "truncated", where);
    table.fetcher = Text(entry, "fetcher", where);
    table.unload_prefix = Text(entry, "unload_prefix", where);
    table.rows_synced = Count(entry, "rows_synced", where);
    table.cursor_value = Text(entry, "cursor_value", where);
    table.cursor_type = Text(entry, "cursor_type", where);
    table.completed_at = Text(entry, "completed_at", where);
    table.pending_cursor_value = Text(entry, "pending_cursor_value", where);
    table.last_scanned_bytes = Count(entry, "last_scanned_bytes", where);
    table.last_scanned_partitions = Count(entry, "last_scanned_partitions", where);
    table.key_check_query_id = Text(entry, "key_check_query_id", where);
    table.syncs_since_key_check = Count(entry, "syncs_since_key_check", where);
    table.partition_column = Text(entry, "partition_column", where);
    table.partition_type = Text(entry, "partition_type", where);
    table.partition_value = Text(entry, "partition_value", where);
    table.partition_done = Text(entry, "partition_done", where);
    table.pending_partition_value = Text(entry, "pending_partition_value", where);
    table.completed_in_sync = Text(entry, "completed_in_sync", where);
    if (const auto pos = entry.find("position"); pos != entry.end()) {
      const std::string at = where + ".position";
      if (!pos->is_object()) Invalid(at + " is not an object");
      table.position.fetcher = Text(*pos, "fetcher", at);
      table.position.rows_read = Count(*pos, "rows_read", at);
      table.position.next_token = Text(*pos, "next_token", at);
      table.position.byte_offset = Count(*pos, "byte_offset", at);
      table.position.etag = Text(*pos, "etag", at);
      table.position.at_end = Flag(*pos, "at_end", at);
      table.position.file_rows_done = Count(*pos, "file_rows_done", at);
      if (const auto files = pos->find("files_done"); files != pos->end()) {
        if (!files->is_array()) Invalid(at + ".files_done is not a list");
        for (const auto& file : *files) {
          if (!file.is_string()) Invalid(at + ".files_done holds a non-string");
          table.position.files_done.push_back(file.get<std::string>());
        }
      }
    }
    // A cursor that is not a literal of its type would otherwise end up in the SQL.
    for (const std::string* cursor : {&table.cursor_value, &table.pending_cursor_value}) {
      if (!cursor->empty()) CursorLiteral(table.cursor_type, *cursor);
    }
    // Partition values: literals of their type; a string key's values are ISO dates (only a
    // date-like string key is followed).
    const athena::TypeId partition_type = athena::ParseDeclaredType(table.partition_type).id;
    const bool string_key =
        partition_type == athena::TypeId::kVarchar || partition_type == athena::TypeId::kChar;
    for (const std::string* value :
         {&table.partition_value, &table.partition_done, &table.pending_partition_value}) {
      if (value->empty()) continue;
      CursorLiteral(table.partition_type, *value);
      if (string_key && !AllDateLike({*value}))
        Invalid(fmt::format("{} has a partition value that is not an ISO date", where));
    }
    state.tables[name] = std::move(table);
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
      if (!table.position.etag.empty()) position["etag"] = table.position.etag;
      if (!table.position.files_done.empty()) position["files_done"] = table.position.files_done;
      if (table.position.file_rows_done != 0)
        position["file_rows_done"] = table.position.file_rows_done;
      entry["position"] = std::move(position);
      if (!table.pending_cursor_value.empty())
        entry["pending_cursor_value"] = table.pending_cursor_value;
      if (!table.partition_done.empty()) entry["partition_done"] = table.partition_done;
      if (!table.pending_partition_value.empty())
        entry["pending_partition_value"] = table.pending_partition_value;
    }
    if (!table.partition_column.empty()) {
      entry["partition_column"] = table.partition_column;
      entry["partition_type"] = table.partition_type;
      if (!table.partition_value.empty()) entry["partition_value"] = table.partition_value;
    }
    if (!table.cursor_value.empty()) {
      entry["cursor_value"] = table.cursor_value;
      entry["cursor_type"] = table.cursor_type;
    }
    if (!table.completed_at.empty()) entry["completed_at"] = table.completed_at;
    if (table.last_scanned_bytes != 0) entry["last_scanned_bytes"] = table.last_scanned_bytes;
    if (table.last_scanned_partitions != 0)
      entry["last_scanned_partitions"] = table.last_scanned_partitions;
    if (!table.key_check_query_id.empty()) {
      entry["key_check_query_id"] = table.key_check_query_id;
      entry["syncs_since_key_check"] = table.syncs_since_key_check;
    }
    if (!table.completed_in_sync.empty()) entry["completed_in_sync"] = table.completed_in_sync;
    tables_json[name] = std::move(entry);
  }
  json doc{{"version", kStateVersion}, {"tables", std::move(tables_json)}};
  if (!sync_id.empty()) doc["sync_id"] = sync_id;
  return doc.dump();
}

}  // namespace ac::connector
