#pragma once
// Test helpers shared by the warehouse module's unit tests (header-only; not part of the library).

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <tuple>

#include "common/clock.h"
#include "common/value.h"
#include "warehouse/duckdb_warehouse.h"

namespace ac::warehouse::testing {

namespace fs = std::filesystem;
using common::ColumnSchema;
using common::DataType;
using common::TableSchema;
using common::Value;
using common::ValueBatch;

// A fresh folder per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() /
            ("ac_warehouse_test_" + std::to_string(::getpid()) + "_" + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

inline Value Typed(DataType type) {
  Value v;
  v.type = type;
  v.is_null = false;
  return v;
}
inline Value Bool(bool b) {
  Value v = Typed(DataType::kBoolean);
  v.boolean = b;
  return v;
}
inline Value Short(int32_t i) {
  Value v = Typed(DataType::kShort);
  v.int32 = i;
  return v;
}
inline Value Int(int32_t i) {
  Value v = Typed(DataType::kInt);
  v.int32 = i;
  return v;
}
inline Value Long(int64_t i) {
  Value v = Typed(DataType::kLong);
  v.int64 = i;
  return v;
}
inline Value Float(float f) {
  Value v = Typed(DataType::kFloat);
  v.float32 = f;
  return v;
}
inline Value Double(double d) {
  Value v = Typed(DataType::kDouble);
  v.float64 = d;
  return v;
}
inline Value Time(DataType type, int64_t seconds, int32_t nanos = 0) {
  Value v = Typed(type);
  v.timestamp = {seconds, nanos};
  return v;
}
inline Value Text(ValueBatch& batch, DataType type, std::string_view text) {
  Value v = Typed(type);
  v.text = batch.Store(text);
  return v;
}
inline Value Str(ValueBatch& batch, std::string_view text) {
  return Text(batch, DataType::kString, text);
}
inline Value Null(DataType type) {
  return Value::Null(type);
}

inline void AddRow(ValueBatch& batch, std::initializer_list<Value> values) {
  ASSERT_EQ(values.size(), batch.num_columns());
  Value* row = batch.AppendRow();
  for (const Value& v : values) *row++ = v;
}

inline ColumnSchema Col(std::string name, DataType type, bool key = false, uint32_t precision = 0,
                        uint32_t scale = 0) {
  return ColumnSchema{std::move(name), type, key, precision, scale};
}

/// customers(customer_id LONG key, name STRING, email STRING)
inline TableSchema Customers() {
  return TableSchema{"customers",
                     {Col("customer_id", DataType::kLong, true), Col("name", DataType::kString),
                      Col("email", DataType::kString)}};
}

inline ValueBatch CustomerRows(
    std::initializer_list<std::tuple<int64_t, const char*, const char*>> rows) {
  ValueBatch batch;
  batch.Reset(3);
  for (const auto& [id, name, email] : rows) {
    Value* row = batch.AppendRow();
    row[0] = Long(id);
    row[1] = name != nullptr ? Str(batch, name) : Null(DataType::kString);
    row[2] = email != nullptr ? Str(batch, email) : Null(DataType::kString);
  }
  return batch;
}

/// Every test runs with bulk loading on (the default) and off: the tables must end up the same.
class WarehouseTest : public ::testing::TestWithParam<bool> {
 protected:
  WarehouseOptions Options(std::string schema = "tester") {
    WarehouseOptions options{dir_.path(), std::move(schema), &clock_};
    options.bulk_load = GetParam();
    return options;
  }
  std::unique_ptr<DuckDbWarehouse> Open() { return std::make_unique<DuckDbWarehouse>(Options()); }
  void SetUp() override { wh_ = Open(); }

  /// The single value of a query, "NULL" for NULL.
  std::string One(const std::string& sql) {
    QueryResult result = wh_->Query(sql);
    EXPECT_EQ(result.rows.size(), 1u) << sql;
    EXPECT_EQ(result.columns.size(), 1u) << sql;
    if (result.rows.size() != 1 || result.columns.size() != 1) return "<none>";
    return result.rows[0][0].value_or("NULL");
  }
  /// All rows of a query, cells joined by '|', rows by '\n'.
  std::string All(const std::string& sql) {
    std::string out;
    for (const auto& row : wh_->Query(sql).rows) {
      for (size_t c = 0; c < row.size(); ++c) {
        if (c > 0) out += '|';
        out += row[c].value_or("NULL");
      }
      out += '\n';
    }
    return out;
  }

  TempDir dir_;
  common::FakeClock clock_{common::SystemTimePoint(std::chrono::seconds(1700000000))};
  std::unique_ptr<DuckDbWarehouse> wh_;
};

}  // namespace ac::warehouse::testing
