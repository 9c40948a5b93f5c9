#pragma once
// Internal to the warehouse module: a table DuckDbWarehouse has defined, with the statements and
// the batch layout its writes use.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/value.h"
#include "warehouse/duckdb_query.h"

namespace ac::warehouse::detail {

inline constexpr std::string_view kSyncedColumn = "_fivetran_synced";
inline constexpr std::string_view kDeletedColumn = "_fivetran_deleted";
inline constexpr std::string_view kIdColumn = "_fivetran_id";
/// Hex digits of `_fivetran_id` (the first 128 bits of a SHA-256 of the row's values).
inline constexpr size_t kRowIdHexDigits = 32;

// Columns of a batch handed to the query appender, before the table's own columns.
/// Position within the Write call (last record of a key wins).
inline constexpr size_t kBatchSeqColumn = 0;
/// `_fivetran_synced` of this operation.
inline constexpr size_t kBatchNowColumn = 1;
inline constexpr size_t kBatchFirstValueColumn = 2;
/// Index of the bulk-load statement and appender, after those of the RecordTypes that write rows.
inline constexpr size_t kBulkAppend = 3;

/// A defined destination table: its declaration, the statements that apply a batch, and the
/// reusable batch chunk and query appenders.
struct WarehouseTable {
  common::TableSchema schema;
  std::string display_name;    // tester.customers
  std::string qualified_name;  // "tester"."customers"
  bool keyless = false;
  std::vector<size_t> key;                 // indexes of key columns in schema.columns
  std::vector<std::string> extra_columns;  // existing columns the declaration lacks
  std::vector<duckdb_logical_type> batch_types;
  std::vector<std::string> batch_names;
  std::vector<std::string> key_names;  // a, b (or _fivetran_id)
  std::string key_columns;             // "a", "b" (quoted key_names)
  // By RecordType (upsert, update, delete), then kBulkAppend (an INSERT without conflict check).
  std::array<std::string, 4> sql;
  std::array<duckdb_appender, 4> appenders{};
  duckdb_data_chunk chunk = nullptr;
  bool exact_keys = true;  // last record per key chosen in C++ (else by the statement)
  // Bulk load: the table was created without its primary key, upserts are appended, and
  // DuckDbWarehouse::AddPendingKey keeps the last row of each key and adds the key.
  bool bulk = false;
  // Per-batch scratch, reused: canonical key bytes per row, row ids, the rows to apply.
  std::string key_bytes;
  std::vector<size_t> key_offsets;
  std::vector<std::pair<size_t, uint32_t>> key_hashes;
  std::vector<uint8_t> superseded;
  std::vector<std::array<char, kRowIdHexDigits>> row_ids;
  std::vector<uint32_t> selection;

  size_t id_column() const { return kBatchFirstValueColumn + schema.columns.size(); }

  void DropAppender(size_t index) {
    if (appenders[index] != nullptr) duckdb_appender_destroy(&appenders[index]);
    appenders[index] = nullptr;
  }
  ~WarehouseTable() {
    for (size_t i = 0; i < appenders.size(); ++i) DropAppender(i);
    if (chunk != nullptr) duckdb_destroy_data_chunk(&chunk);
    for (auto& type : batch_types) duckdb_destroy_logical_type(&type);
  }
};

/// Builds the batch layout (types, names, chunk) and the statements that apply an appended batch
/// (`_ac_batch`) to the table: upsert, update, delete and the bulk load's append.
void BuildStatements(WarehouseTable& t);

}  // namespace ac::warehouse::detail
