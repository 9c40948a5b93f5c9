// DuckDbWarehouse::Write and Truncate: a batch of upserts, updates or deletes through the table's
// query appender, and the soft delete of a truncate.

#include "warehouse/duckdb_warehouse.h"

#include <fmt/format.h>

#include <algorithm>

#include "common/error.h"
#include "common/sql_quote.h"
#include "warehouse/batch_chunk.h"
#include "warehouse/warehouse_table.h"

namespace ac::warehouse {
namespace {

using common::QuoteIdentifier;
using common::TableSchema;
using common::ValueBatch;
using connector::RecordType;
using detail::kBulkAppend;
using detail::kDeletedColumn;
using detail::kSyncedColumn;

std::string_view OperationName(RecordType type) {
  switch (type) {
    case RecordType::kUpsert:
      return "upsert";
    case RecordType::kUpdate:
      return "update";
    case RecordType::kDelete:
      return "delete";
    case RecordType::kTruncate:
      return "truncate";
  }
  return "write";
}

}  // namespace

void DuckDbWarehouse::Write(const TableSchema& table, RecordType type, const ValueBatch& rows) {
  if (type == RecordType::kTruncate) {
    Truncate(table);
    return;
  }
  Table& t = Defined(table);
  const std::string context = fmt::format("table {}: {}", t.display_name, OperationName(type));
  const size_t num_rows = rows.num_rows();
  if (num_rows == 0) return;
  if (rows.num_columns() != t.schema.columns.size()) {
    throw common::InternalError(fmt::format("warehouse: {}: batch has {} columns, table has {}",
                                            context, rows.num_columns(), t.schema.columns.size()));
  }
  // Updates and deletes change rows by key: a bulk load ends first.
  if (t.bulk && type != RecordType::kUpsert) AddPendingKey(t);
  const size_t op = t.bulk ? kBulkAppend : static_cast<size_t>(type);
  const int64_t now = NextSyncedMicros();

  BeginWrites(context);
  auto fail_with_appender = [&]() {
    std::string message = "the DuckDB appender failed";
    int error_type = DUCKDB_ERROR_INVALID;
    if (t.appenders[op] != nullptr) {
      duckdb_error_data error = duckdb_appender_error_data(t.appenders[op]);
      if (error != nullptr) {
        if (duckdb_error_data_has_error(error)) {
          const char* text = duckdb_error_data_message(error);
          if (text != nullptr) message = text;
          error_type = duckdb_error_data_error_type(error);
        }
        duckdb_destroy_error_data(&error);
      }
      t.DropAppender(op);  // an appender that failed cannot be used again
    }
    Rollback(context, message, error_type);
  };
  try {
    if (t.appenders[op] == nullptr) {
      std::vector<const char*> names;
      for (const auto& name : t.batch_names) names.push_back(name.c_str());
      if (duckdb_appender_create_query(db_->connection, t.sql[op].c_str(), t.batch_types.size(),
                                       t.batch_types.data(), "_ac_batch", names.data(),
                                       &t.appenders[op]) == DuckDBError) {
        fail_with_appender();
      }
    }
    detail::SelectRows(t, rows);
    const size_t selected = t.selection.size();
    const size_t chunk_capacity = duckdb_vector_size();
    for (size_t begin = 0; begin < selected; begin += chunk_capacity) {
      const size_t count = std::min(chunk_capacity, selected - begin);
      duckdb_data_chunk_reset(t.chunk);
      detail::FillChunk(t, rows, begin, count, now);
      if (duckdb_append_data_chunk(t.appenders[op], t.chunk) == DuckDBError) fail_with_appender();
    }
    if (duckdb_appender_flush(t.appenders[op]) == DuckDBError) fail_with_appender();
  } catch (const common::Error&) {
    // FillChunk's errors: the appender may hold part of the batch; start afresh.
    if (t.appenders[op] != nullptr) t.DropAppender(op);
    RollbackWrites();
    throw;
  }

  switch (type) {
    case RecordType::kUpsert:
      counters_.upserts += num_rows;
      break;
    case RecordType::kUpdate:
      counters_.updates += num_rows;
      break;
    case RecordType::kDelete:
      counters_.deletes += num_rows;
      break;
    case RecordType::kTruncate:
      break;
  }
}

void DuckDbWarehouse::Truncate(const TableSchema& table) {
  Table& t = Defined(table);
  const std::string context = fmt::format("table {}: truncate", t.display_name);
  const int64_t now = NextSyncedMicros();
  BeginWrites(context);
  try {
    // The moment as a literal: microseconds since the epoch, UTC (independent of TimeZone).
    ExecuteOrThrow(
        fmt::format("UPDATE {} SET {} = true WHERE {} < make_timestamptz({}::BIGINT) "
                    "AND {} IS DISTINCT FROM true",
                    t.qualified_name, QuoteIdentifier(kDeletedColumn),
                    QuoteIdentifier(kSyncedColumn), now, QuoteIdentifier(kDeletedColumn)),
        context);
  } catch (const common::Error&) {
    RollbackWrites();
    throw;
  }
  ++counters_.truncates;
}

}  // namespace ac::warehouse
