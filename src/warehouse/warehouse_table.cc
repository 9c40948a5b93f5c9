#include "warehouse/warehouse_table.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/sql_quote.h"
#include "warehouse/duckdb_warehouse.h"

namespace ac::warehouse::detail {
namespace {

using common::DataType;
using common::QuoteIdentifier;
using connector::RecordType;

/// Staging type of a column in the appended batch: the column's own type, except DECIMAL and JSON
/// which arrive as text and are CAST by the statement (DuckDB parses and validates them).
duckdb_logical_type CreateBatchType(DataType type) {
  switch (type) {
    case DataType::kBoolean:
      return duckdb_create_logical_type(DUCKDB_TYPE_BOOLEAN);
    case DataType::kShort:
      return duckdb_create_logical_type(DUCKDB_TYPE_SMALLINT);
    case DataType::kInt:
      return duckdb_create_logical_type(DUCKDB_TYPE_INTEGER);
    case DataType::kLong:
      return duckdb_create_logical_type(DUCKDB_TYPE_BIGINT);
    case DataType::kFloat:
      return duckdb_create_logical_type(DUCKDB_TYPE_FLOAT);
    case DataType::kDouble:
      return duckdb_create_logical_type(DUCKDB_TYPE_DOUBLE);
    case DataType::kNaiveDate:
      return duckdb_create_logical_type(DUCKDB_TYPE_DATE);
    case DataType::kNaiveDateTime:
      return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP);
    case DataType::kUtcDateTime:
      return duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ);
    case DataType::kNaiveTime:
      return duckdb_create_logical_type(DUCKDB_TYPE_TIME);
    case DataType::kBinary:
      return duckdb_create_logical_type(DUCKDB_TYPE_BLOB);
    case DataType::kDecimal:
    case DataType::kXml:
    case DataType::kString:
    case DataType::kJson:
    case DataType::kUnspecified:
      break;
  }
  return duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR);
}

}  // namespace

void BuildStatements(WarehouseTable& t) {
  const auto& columns = t.schema.columns;
  // Batch layout: _ac_seq, _ac_now, c0..cN-1, [_ac_id].
  t.batch_types.push_back(duckdb_create_logical_type(DUCKDB_TYPE_BIGINT));
  t.batch_names.emplace_back("_ac_seq");
  t.batch_types.push_back(duckdb_create_logical_type(DUCKDB_TYPE_TIMESTAMP_TZ));
  t.batch_names.emplace_back("_ac_now");
  std::vector<std::string> value_expr;  // typed value of column i from the batch
  for (size_t i = 0; i < columns.size(); ++i) {
    t.batch_types.push_back(CreateBatchType(columns[i].type));
    t.batch_names.push_back(fmt::format("c{}", i));
    if (columns[i].type == DataType::kDecimal || columns[i].type == DataType::kJson) {
      value_expr.push_back(
          fmt::format("CAST(c{} AS {})", i, DuckDbWarehouse::DuckDbTypeName(columns[i])));
    } else {
      value_expr.push_back(fmt::format("c{}", i));
    }
  }
  if (t.keyless) {
    t.batch_types.push_back(duckdb_create_logical_type(DUCKDB_TYPE_VARCHAR));
    t.batch_names.emplace_back("_ac_id");
  }
  t.chunk = duckdb_create_data_chunk(t.batch_types.data(), t.batch_types.size());

  const std::string synced = QuoteIdentifier(kSyncedColumn);
  const std::string deleted = QuoteIdentifier(kDeletedColumn);
  std::string key_columns;  // "a", "b"
  std::string key_exprs;    // c0, CAST(c1 AS ...)
  std::string key_match;    // _ac_t."a" = _ac_s.c0 AND ...
  if (t.keyless) {
    key_columns = QuoteIdentifier(kIdColumn);
    key_exprs = "_ac_id";
    key_match = fmt::format("_ac_t.{} = _ac_s._ac_id", QuoteIdentifier(kIdColumn));
  } else {
    for (size_t k = 0; k < t.key.size(); ++k) {
      const size_t i = t.key[k];
      const std::string sep = k > 0 ? ", " : "";
      key_columns += sep + QuoteIdentifier(columns[i].name);
      key_exprs += sep + value_expr[i];
      key_match += fmt::format("{}_ac_t.{} = _ac_s.c{}", k > 0 ? " AND " : "",
                               QuoteIdentifier(columns[i].name), i);
    }
  }
  t.key_columns = key_columns;
  const std::string last_wins =
      t.exact_keys
          ? std::string()
          : fmt::format("QUALIFY row_number() OVER (PARTITION BY {} ORDER BY _ac_seq DESC) = 1",
                        key_exprs);
  auto is_key = [&t](size_t i) { return std::find(t.key.begin(), t.key.end(), i) != t.key.end(); };

  // UPSERT: insert, or replace every column of the existing row.
  {
    std::string names, values, updates;
    for (size_t i = 0; i < columns.size(); ++i) {
      const std::string name = QuoteIdentifier(columns[i].name);
      names += name + ", ";
      values += value_expr[i] + ", ";
      if (!is_key(i)) updates += fmt::format("{} = excluded.{}, ", name, name);
    }
    if (t.keyless) {
      names += QuoteIdentifier(kIdColumn) + ", ";
      values += "_ac_id, ";
    }
    names += synced + ", " + deleted;
    values += "_ac_now, false";
    updates += fmt::format("{} = excluded.{}, {} = false", synced, synced, deleted);
    for (const std::string& extra : t.extra_columns) {
      names += ", " + QuoteIdentifier(extra);
      values += ", NULL";
      updates += fmt::format(", {} = NULL", QuoteIdentifier(extra));
    }
    t.sql[static_cast<size_t>(RecordType::kUpsert)] = fmt::format(
        "INSERT INTO {} ({}) SELECT {} FROM _ac_batch{}{} ON CONFLICT ({}) DO UPDATE SET {}",
        t.qualified_name, names, values, last_wins.empty() ? "" : " ", last_wins, key_columns,
        updates);
    // Bulk load (exact keys only): every row of the batch, in order (DuckDB keeps the insertion
    // order: preserve_insertion_order), so AddPendingKey's `rowid DESC` means the later record.
    t.sql[kBulkAppend] = fmt::format("INSERT INTO {} ({}) SELECT {} FROM _ac_batch",
                                     t.qualified_name, names, values);
  }

  // The batch with typed values, one row per key (the last one).
  std::string latest = "SELECT _ac_now";
  for (size_t i = 0; i < columns.size(); ++i)
    latest += fmt::format(", {} AS c{}", value_expr[i], i);
  if (t.keyless) latest += ", _ac_id";
  latest += " FROM _ac_batch";
  if (!last_wins.empty()) latest += " " + last_wins;

  // UPDATE: change the rows whose key exists; the others are ignored.
  {
    std::string sets;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (!is_key(i)) sets += fmt::format("{} = _ac_s.c{}, ", QuoteIdentifier(columns[i].name), i);
    }
    sets += synced + " = _ac_s._ac_now";
    t.sql[static_cast<size_t>(RecordType::kUpdate)] =
        fmt::format("UPDATE {} AS _ac_t SET {} FROM ({}) AS _ac_s WHERE {}", t.qualified_name, sets,
                    latest, key_match);
  }

  // DELETE: soft delete of the rows whose key exists.
  t.sql[static_cast<size_t>(RecordType::kDelete)] = fmt::format(
      "UPDATE {} AS _ac_t SET {} = true, {} = _ac_s._ac_now FROM ({}) AS _ac_s WHERE {}",
      t.qualified_name, deleted, synced, latest, key_match);
}

}  // namespace ac::warehouse::detail
