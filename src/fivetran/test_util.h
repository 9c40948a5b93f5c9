#pragma once
// Test helpers shared by the fivetran module's unit tests (header-only; not part of the library).

#include <string>
#include <vector>

#include "common/value.h"
#include "connector/record_sink.h"
#include "connector/recording_sink_test_util.h"

namespace ac::fivetran::testing {

using connector::testing::RecordingSink;

/// A table with one column of every DataType Fivetran sources use, `id` the primary key.
inline common::TableSchema AllTypesTable() {
  using common::DataType;
  common::TableSchema table;
  table.name = "all_types";
  table.columns = {
      {"id", DataType::kLong, true, 0, 0},
      {"flag", DataType::kBoolean, false, 0, 0},
      {"small", DataType::kShort, false, 0, 0},
      {"num", DataType::kInt, false, 0, 0},
      {"amount", DataType::kDecimal, false, 12, 2},
      {"ratio", DataType::kFloat, false, 0, 0},
      {"score", DataType::kDouble, false, 0, 0},
      {"day", DataType::kNaiveDate, false, 0, 0},
      {"at", DataType::kNaiveDateTime, false, 0, 0},
      {"at_utc", DataType::kUtcDateTime, false, 0, 0},
      {"blob", DataType::kBinary, false, 0, 0},
      {"doc", DataType::kXml, false, 0, 0},
      {"name", DataType::kString, false, 0, 0},
      {"payload", DataType::kJson, false, 0, 0},
  };
  return table;
}

/// Appends one row to `batch` (Reset to AllTypesTable's width by the caller): row `i`, all
/// columns set, or all columns but `id` null when `nulls`.
inline void AppendAllTypesRow(common::ValueBatch& batch, int64_t i, bool nulls = false) {
  using common::DataType;
  const common::TableSchema table = AllTypesTable();
  common::Value* row = batch.AppendRow();
  for (size_t c = 0; c < table.columns.size(); ++c)
    row[c] = common::Value::Null(table.columns[c].type);
  row[0].is_null = false;
  row[0].int64 = i;
  if (nulls) return;
  for (size_t c = 1; c < table.columns.size(); ++c) row[c].is_null = false;
  row[1].boolean = i % 2 == 0;
  // Wrapping (unsigned) arithmetic: callers pass edge values such as INT64_MIN, whose negation
  // or product overflows int64_t (UBSan, make sanitize); the low 32 bits are what is kept.
  row[2].int32 = static_cast<int32_t>(0 - static_cast<uint64_t>(i));
  row[3].int32 = static_cast<int32_t>(static_cast<uint64_t>(i) * 1000u);
  row[4].text = batch.Store(std::to_string(i) + ".25");
  row[5].float32 = 1.5f * static_cast<float>(i);
  row[6].float64 = 0.1 * static_cast<double>(i);
  row[7].timestamp = {19000 * 86400LL, 0};
  row[8].timestamp = {1700000000 + i, 123000000};
  row[9].timestamp = {1700000000 + i, 999999999};
  row[10].text = batch.Store(std::string("\x00\x01\xff", 3));
  row[11].text = batch.Store("<a>" + std::to_string(i) + "</a>");
  row[12].text = batch.Store("name \"" + std::to_string(i) + "\" \xC3\xA9");
  row[13].text = batch.Store("{\"k\":[1,2," + std::to_string(i) + "]}");
}

}  // namespace ac::fivetran::testing
