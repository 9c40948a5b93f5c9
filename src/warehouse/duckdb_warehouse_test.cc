#include "warehouse/duckdb_warehouse.h"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "common/error.h"

namespace ac::warehouse {
namespace {

namespace fs = std::filesystem;
using common::ColumnSchema;
using common::DataType;
using common::TableSchema;
using common::Value;
using common::ValueBatch;
using connector::RecordType;
using ::testing::HasSubstr;

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

Value Typed(DataType type) {
  Value v;
  v.type = type;
  v.is_null = false;
  return v;
}
Value Bool(bool b) {
  Value v = Typed(DataType::kBoolean);
  v.boolean = b;
  return v;
}
Value Short(int32_t i) {
  Value v = Typed(DataType::kShort);
  v.int32 = i;
  return v;
}
Value Int(int32_t i) {
  Value v = Typed(DataType::kInt);
  v.int32 = i;
  return v;
}
Value Long(int64_t i) {
  Value v = Typed(DataType::kLong);
  v.int64 = i;
  return v;
}
Value Float(float f) {
  Value v = Typed(DataType::kFloat);
  v.float32 = f;
  return v;
}
Value Double(double d) {
  Value v = Typed(DataType::kDouble);
  v.float64 = d;
  return v;
}
Value Time(DataType type, int64_t seconds, int32_t nanos = 0) {
  Value v = Typed(type);
  v.timestamp = {seconds, nanos};
  return v;
}
Value Text(ValueBatch& batch, DataType type, std::string_view text) {
  Value v = Typed(type);
  v.text = batch.Store(text);
  return v;
}
Value Str(ValueBatch& batch, std::string_view text) { return Text(batch, DataType::kString, text); }
Value Null(DataType type) { return Value::Null(type); }

void AddRow(ValueBatch& batch, std::initializer_list<Value> values) {
  ASSERT_EQ(values.size(), batch.num_columns());
  Value* row = batch.AppendRow();
  for (const Value& v : values) *row++ = v;
}

ColumnSchema Col(std::string name, DataType type, bool key = false, uint32_t precision = 0,
                 uint32_t scale = 0) {
  return ColumnSchema{std::move(name), type, key, precision, scale};
}

/// customers(customer_id LONG key, name STRING, email STRING)
TableSchema Customers() {
  return TableSchema{"customers",
                     {Col("customer_id", DataType::kLong, true), Col("name", DataType::kString),
                      Col("email", DataType::kString)}};
}

ValueBatch CustomerRows(std::initializer_list<std::tuple<int64_t, const char*, const char*>> rows) {
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

// ---------------------------------------------------------------------------------------------

TEST_P(WarehouseTest, CreatesTableWithEveryTypeAndSystemColumns) {
  TableSchema t{"all_types",
                {Col("id", DataType::kLong, true), Col("b", DataType::kBoolean),
                 Col("s", DataType::kShort), Col("i", DataType::kInt), Col("l", DataType::kLong),
                 Col("d", DataType::kDecimal, false, 38, 10), Col("d0", DataType::kDecimal),
                 Col("d52", DataType::kDecimal, false, 5, 2), Col("f", DataType::kFloat),
                 Col("db", DataType::kDouble), Col("nd", DataType::kNaiveDate),
                 Col("ndt", DataType::kNaiveDateTime), Col("udt", DataType::kUtcDateTime),
                 Col("bin", DataType::kBinary), Col("x", DataType::kXml),
                 Col("str", DataType::kString), Col("j", DataType::kJson),
                 Col("nt", DataType::kNaiveTime)}};
  wh_->DefineTable(t);
  EXPECT_EQ(All("SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'tester' "
                "AND table_name = 'all_types' ORDER BY column_index"),
            "id|BIGINT\nb|BOOLEAN\ns|SMALLINT\ni|INTEGER\nl|BIGINT\nd|DECIMAL(38,10)\n"
            "d0|DECIMAL(38,10)\nd52|DECIMAL(5,2)\nf|FLOAT\ndb|DOUBLE\nnd|DATE\nndt|TIMESTAMP\n"
            "udt|TIMESTAMP WITH TIME ZONE\nbin|BLOB\nx|VARCHAR\nstr|VARCHAR\nj|JSON\nnt|TIME\n"
            "_fivetran_synced|TIMESTAMP WITH TIME ZONE\n_fivetran_deleted|BOOLEAN\n");
  EXPECT_EQ(All("SELECT unnest(constraint_column_names) FROM duckdb_constraints() WHERE "
                "table_name = 'all_types' AND constraint_type = 'PRIMARY KEY'"),
            "id\n");
  EXPECT_EQ(wh_->counters().schema_changes, 1u);
}

TEST_P(WarehouseTest, ReadsBackEveryTypeExactly) {
  TableSchema t{"all_types",
                {Col("id", DataType::kLong, true), Col("b", DataType::kBoolean),
                 Col("s", DataType::kShort), Col("i", DataType::kInt), Col("l", DataType::kLong),
                 Col("d", DataType::kDecimal, false, 38, 10), Col("f", DataType::kFloat),
                 Col("db", DataType::kDouble), Col("nd", DataType::kNaiveDate),
                 Col("ndt", DataType::kNaiveDateTime), Col("udt", DataType::kUtcDateTime),
                 Col("bin", DataType::kBinary), Col("x", DataType::kXml),
                 Col("str", DataType::kString), Col("j", DataType::kJson),
                 Col("nt", DataType::kNaiveTime)}};
  ValueBatch batch;
  batch.Reset(t.columns.size());
  AddRow(batch, {Long(1), Bool(true), Short(-32768), Int(2147483647), Long(-9223372036854775807LL),
                 Text(batch, DataType::kDecimal, "1234567890123456789012345678.0123456789"),
                 Float(1.5f), Double(0.1), Time(DataType::kNaiveDate, 19723 * 86400),
                 Time(DataType::kNaiveDateTime, 1704067200, 123456789),
                 Time(DataType::kUtcDateTime, 1704067200, 999),
                 Text(batch, DataType::kBinary, std::string("\x00\xff\x01", 3)),
                 Text(batch, DataType::kXml, "<a>1</a>"),
                 Str(batch, "h\xC3\xA9llo \xE4\xB8\x96\xE7\x95\x8C \xF0\x9F\x8E\x89 'q' \"dq\"\nline2"),
                 Text(batch, DataType::kJson, R"({"a":[1,2,{"b":null}]})"),
                 Time(DataType::kNaiveTime, 12 * 3600 + 34 * 60 + 56, 789000000)});
  // All NULL (NULL is not the empty string).
  Value* row = batch.AppendRow();
  row[0] = Long(2);
  for (size_t c = 1; c < t.columns.size(); ++c) row[c] = Null(t.columns[c].type);
  // Empty texts and pre-epoch times.
  AddRow(batch, {Long(3), Bool(false), Short(0), Int(-1), Long(0),
                 Text(batch, DataType::kDecimal, "-0.5"), Float(-0.0f), Double(-1e300),
                 Time(DataType::kNaiveDate, -86400), Time(DataType::kNaiveDateTime, -1, 500000000),
                 Time(DataType::kUtcDateTime, 0), Text(batch, DataType::kBinary, ""),
                 Text(batch, DataType::kXml, ""), Str(batch, ""),
                 Text(batch, DataType::kJson, "[]"), Time(DataType::kNaiveTime, 0)});
  wh_->DefineTable(t);
  wh_->Write(t, RecordType::kUpsert, batch);

  EXPECT_EQ(All("SELECT id, b, s, i, l, d, f, db, nd, ndt, udt, hex(bin), x, str, j, nt, "
                "_fivetran_synced, _fivetran_deleted FROM tester.all_types ORDER BY id"),
            "1|true|-32768|2147483647|-9223372036854775807|1234567890123456789012345678.0123456789|"
            "1.5|0.1|2024-01-01|2024-01-01 00:00:00.123456|2024-01-01 00:00:00+00|00FF01|<a>1</a>|"
            "h\xC3\xA9llo \xE4\xB8\x96\xE7\x95\x8C \xF0\x9F\x8E\x89 'q' \"dq\"\nline2|"
            R"({"a":[1,2,{"b":null}]})"
            "|12:34:56.789|2023-11-14 22:13:20+00|false\n"
            "2|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|NULL|"
            "2023-11-14 22:13:20+00|false\n"
            "3|false|0|-1|0|-0.5000000000|-0.0|-1e+300|1969-12-31|1969-12-31 23:59:59.5|"
            "1970-01-01 00:00:00+00||||[]|00:00:00|2023-11-14 22:13:20+00|false\n");
  // NULL vs empty string, byte lengths, microsecond precision.
  EXPECT_EQ(All("SELECT str IS NULL, strlen(str), octet_length(bin), x IS NULL "
                "FROM tester.all_types ORDER BY id"),
            "false|33|3|false\ntrue|NULL|NULL|true\nfalse|0|0|false\n");
  EXPECT_EQ(One("SELECT epoch_us(udt) FROM tester.all_types WHERE id = 1"), "1704067200000000");
  EXPECT_EQ(One("SELECT epoch_us(ndt) FROM tester.all_types WHERE id = 1"), "1704067200123456");
  EXPECT_EQ(One("SELECT j->>'$.a[2].b' IS NULL AND json_valid(j) FROM tester.all_types WHERE id = 1"),
            "true");
  EXPECT_EQ(wh_->counters().upserts, 3u);
}

TEST_P(WarehouseTest, UpsertReplacesByPrimaryKey) {
  wh_->DefineTable(Customers());
  wh_->Write(Customers(), RecordType::kUpsert,
             CustomerRows({{1, "Ann", "ann@x"}, {2, "Bob", "bob@x"}}));
  clock_.Advance(std::chrono::seconds(10));
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{2, "Bobby", nullptr}, {3, "Cy", "c"}}));
  EXPECT_EQ(All("SELECT customer_id, name, email, _fivetran_deleted, epoch(_fivetran_synced) "
                "FROM tester.customers ORDER BY 1"),
            "1|Ann|ann@x|false|1700000000.0\n2|Bobby|NULL|false|1700000010.0\n"
            "3|Cy|c|false|1700000010.0\n");
  EXPECT_EQ(wh_->counters().upserts, 4u);
}

TEST_P(WarehouseTest, CompositePrimaryKey) {
  TableSchema t{"orders",
                {Col("region", DataType::kString, true), Col("id", DataType::kInt, true),
                 Col("amount", DataType::kDecimal, false, 10, 2)}};
  auto rows = [](std::initializer_list<std::tuple<const char*, int, const char*>> values) {
    ValueBatch batch;
    batch.Reset(3);
    for (const auto& [region, id, amount] : values) {
      AddRow(batch, {Str(batch, region), Int(id), Text(batch, DataType::kDecimal, amount)});
    }
    return batch;
  };
  wh_->DefineTable(t);
  wh_->Write(t, RecordType::kUpsert, rows({{"eu", 1, "1.10"}, {"us", 1, "2.20"}, {"eu", 2, "3"}}));
  wh_->Write(t, RecordType::kUpsert, rows({{"us", 1, "9.99"}}));
  EXPECT_EQ(All("SELECT region, id, amount FROM tester.orders ORDER BY region, id"),
            "eu|1|1.10\neu|2|3.00\nus|1|9.99\n");
  EXPECT_EQ(All("SELECT unnest(constraint_column_names) FROM duckdb_constraints() WHERE "
                "table_name = 'orders' AND constraint_type = 'PRIMARY KEY'"),
            "region\nid\n");
}

TEST_P(WarehouseTest, DuplicateKeysInOneBatchLastOneWins) {
  wh_->DefineTable(Customers());
  wh_->Write(Customers(), RecordType::kUpsert,
             CustomerRows({{1, "first", "a"}, {2, "x", "x"}, {1, "second", "b"}, {1, "last", "c"}}));
  EXPECT_EQ(All("SELECT customer_id, name, email FROM tester.customers ORDER BY 1"),
            "1|last|c\n2|x|x\n");
  // Across DuckDB chunk boundaries (2048 rows): 5000 rows over 100 keys.
  ValueBatch batch;
  batch.Reset(3);
  for (int i = 0; i < 5000; ++i) {
    AddRow(batch, {Long(i % 100), Str(batch, std::string("n").append(std::to_string(i))), Null(DataType::kString)});
  }
  wh_->Write(Customers(), RecordType::kUpsert, batch);
  EXPECT_EQ(One("SELECT count(*) FROM tester.customers"), "100");
  EXPECT_EQ(One("SELECT name FROM tester.customers WHERE customer_id = 7"), "n4907");
  EXPECT_EQ(One("SELECT name FROM tester.customers WHERE customer_id = 99"), "n4999");
  EXPECT_EQ(wh_->counters().upserts, 5004u);
}

TEST_P(WarehouseTest, DuplicateKeysEqualOnlyAfterConversionLastOneWins) {
  // DECIMAL text and floats are compared by DuckDB ("1.0" = "1.00"); dates by day; timestamps by
  // microsecond.
  TableSchema t{"mixed_keys",
                {Col("amount", DataType::kDecimal, true, 10, 2), Col("day", DataType::kNaiveDate, true),
                 Col("v", DataType::kString)}};
  ValueBatch batch;
  batch.Reset(3);
  AddRow(batch, {Text(batch, DataType::kDecimal, "1.0"), Time(DataType::kNaiveDate, 0), Str(batch, "a")});
  AddRow(batch, {Text(batch, DataType::kDecimal, "1.00"), Time(DataType::kNaiveDate, 3600), Str(batch, "b")});
  AddRow(batch, {Text(batch, DataType::kDecimal, "2"), Time(DataType::kNaiveDate, 0), Str(batch, "c")});
  wh_->Write(t, RecordType::kUpsert, batch);
  EXPECT_EQ(All("SELECT amount, day, v FROM tester.mixed_keys ORDER BY 1"),
            "1.00|1970-01-01|b\n2.00|1970-01-01|c\n");
  wh_->Write(t, RecordType::kUpdate, batch);
  wh_->Write(t, RecordType::kDelete, batch);
  EXPECT_EQ(All("SELECT amount, v, _fivetran_deleted FROM tester.mixed_keys ORDER BY 1"),
            "1.00|b|true\n2.00|c|true\n");

  TableSchema times{"time_keys", {Col("at", DataType::kUtcDateTime, true), Col("v", DataType::kString)}};
  ValueBatch rows;
  rows.Reset(2);
  AddRow(rows, {Time(DataType::kUtcDateTime, 10, 1000), Str(rows, "first")});
  AddRow(rows, {Time(DataType::kUtcDateTime, 10, 1999), Str(rows, "second")});
  wh_->Write(times, RecordType::kUpsert, rows);
  EXPECT_EQ(All(R"(SELECT epoch_us("at"), v FROM tester.time_keys)"), "10000001|second\n");
}

TEST_P(WarehouseTest, UpdateChangesExistingRowsAndIgnoresAbsentOnes) {
  wh_->DefineTable(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "Ann", "ann@x"}, {2, "Bob", "b"}}));
  clock_.Advance(std::chrono::seconds(5));
  wh_->Write(Customers(), RecordType::kUpdate,
             CustomerRows({{2, "Robert", "rob@x"}, {42, "Ghost", "g"}, {2, "Rob", "rob@x"}}));
  EXPECT_EQ(All("SELECT customer_id, name, email, epoch(_fivetran_synced) FROM tester.customers "
                "ORDER BY 1"),
            "1|Ann|ann@x|1700000000.0\n2|Rob|rob@x|1700000005.0\n");
  EXPECT_EQ(wh_->counters().updates, 3u);
}

TEST_P(WarehouseTest, DeleteIsSoftAndReUpsertRevives) {
  wh_->DefineTable(Customers());
  wh_->Write(Customers(), RecordType::kUpsert,
             CustomerRows({{1, "Ann", "a"}, {2, "Bob", "b"}, {3, "Cy", "c"}}));
  clock_.Advance(std::chrono::seconds(1));
  // A delete carries only the key; absent keys are ignored.
  wh_->Write(Customers(), RecordType::kDelete, CustomerRows({{2, nullptr, nullptr}, {7, nullptr, nullptr}}));
  EXPECT_EQ(All("SELECT customer_id, name, _fivetran_deleted, epoch(_fivetran_synced) FROM "
                "tester.customers ORDER BY 1"),
            "1|Ann|false|1700000000.0\n2|Bob|true|1700000001.0\n3|Cy|false|1700000000.0\n");
  clock_.Advance(std::chrono::seconds(1));
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{2, "Bob2", "b2"}}));
  EXPECT_EQ(All("SELECT name, _fivetran_deleted, epoch(_fivetran_synced) FROM tester.customers "
                "WHERE customer_id = 2"),
            "Bob2|false|1700000002.0\n");
  EXPECT_EQ(wh_->counters().deletes, 2u);
}

TEST_P(WarehouseTest, TruncateSoftDeletesRowsSyncedBeforeIt) {
  wh_->DefineTable(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "Ann", "a"}, {2, "Bob", "b"}}));
  // Same clock reading: synced times still increase strictly per operation.
  wh_->Truncate(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{2, "Bob", "b"}, {3, "Cy", "c"}}));
  EXPECT_EQ(All("SELECT customer_id, _fivetran_deleted, epoch_us(_fivetran_synced) FROM "
                "tester.customers ORDER BY 1"),
            "1|true|1700000000000000\n2|false|1700000000000002\n3|false|1700000000000002\n");
  // Truncate keeps `_fivetran_synced` of the rows it deletes; a second one is harmless.
  clock_.Advance(std::chrono::seconds(60));
  wh_->Truncate(Customers());
  EXPECT_EQ(All("SELECT customer_id, _fivetran_deleted, epoch_us(_fivetran_synced) FROM "
                "tester.customers ORDER BY 1"),
            "1|true|1700000000000000\n2|true|1700000000000002\n3|true|1700000000000002\n");
  // Through Write() too.
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "Ann", "a"}}));
  wh_->Write(Customers(), RecordType::kTruncate, ValueBatch());
  EXPECT_EQ(One("SELECT count(*) FILTER (WHERE NOT _fivetran_deleted) FROM tester.customers"), "0");
  EXPECT_EQ(wh_->counters().truncates, 3u);
}

TEST_P(WarehouseTest, TruncateBeforeTableExistsCreatesIt) {
  wh_->Truncate(Customers());
  EXPECT_EQ(One("SELECT count(*) FROM tester.customers"), "0");
  EXPECT_EQ(wh_->counters().schema_changes, 1u);
}

TEST_P(WarehouseTest, ReservedWordsAndOddIdentifiersWork) {
  TableSchema t{"order",
                {Col("select", DataType::kLong, true), Col("group", DataType::kString),
                 Col("desc", DataType::kString), Col("we\"ird name", DataType::kInt),
                 Col("Mixed Case", DataType::kDecimal, false, 12, 3)}};
  ValueBatch batch;
  batch.Reset(5);
  AddRow(batch, {Long(1), Str(batch, "g"), Str(batch, "d"), Int(7),
                 Text(batch, DataType::kDecimal, "1.5")});
  wh_->DefineTable(t);
  wh_->Write(t, RecordType::kUpsert, batch);
  wh_->Write(t, RecordType::kUpdate, batch);
  wh_->Write(t, RecordType::kDelete, batch);
  wh_->Truncate(t);
  EXPECT_EQ(All(R"(SELECT "select", "group", "desc", "we""ird name", "Mixed Case", _fivetran_deleted FROM tester."order")"),
            "1|g|d|7|1.500|true\n");
  // Again with a keyless table named like a keyword.
  TableSchema keyless{"table", {Col("from", DataType::kString)}};
  ValueBatch one;
  one.Reset(1);
  AddRow(one, {Str(one, "x")});
  wh_->Write(keyless, RecordType::kUpsert, one);
  EXPECT_EQ(One(R"(SELECT "from" FROM tester."table")"), "x");
}

TEST_P(WarehouseTest, KeylessTableUsesRowHashAsFivetranId) {
  TableSchema t{"events", {Col("kind", DataType::kString), Col("n", DataType::kLong)}};
  ValueBatch batch;
  batch.Reset(2);
  AddRow(batch, {Str(batch, "a"), Long(1)});
  AddRow(batch, {Str(batch, "a"), Long(1)});  // identical: the same row
  AddRow(batch, {Str(batch, "a"), Null(DataType::kLong)});
  AddRow(batch, {Str(batch, ""), Null(DataType::kLong)});
  AddRow(batch, {Null(DataType::kString), Null(DataType::kLong)});
  wh_->DefineTable(t);
  wh_->Write(t, RecordType::kUpsert, batch);
  EXPECT_EQ(One("SELECT count(*) FROM tester.events"), "4");
  EXPECT_EQ(One("SELECT count(DISTINCT _fivetran_id) FROM tester.events WHERE "
                "length(_fivetran_id) = 32"),
            "4");
  EXPECT_EQ(All("SELECT unnest(constraint_column_names) FROM duckdb_constraints() WHERE "
                "table_name = 'events' AND constraint_type = 'PRIMARY KEY'"),
            "_fivetran_id\n");
  ValueBatch del;
  del.Reset(2);
  AddRow(del, {Str(del, "a"), Long(1)});
  wh_->Write(t, RecordType::kDelete, del);
  EXPECT_EQ(All("SELECT kind, n, _fivetran_deleted FROM tester.events ORDER BY kind NULLS LAST, n "
                "NULLS LAST"),
            "|NULL|false\na|1|true\na|NULL|false\nNULL|NULL|false\n");
}

TEST_P(WarehouseTest, NewColumnIsAddedAndCountedAsSchemaChange) {
  wh_->DefineTable(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "Ann", "a"}}));
  wh_->DefineTable(Customers());  // unchanged: no schema change
  EXPECT_EQ(wh_->counters().schema_changes, 1u);

  TableSchema wider = Customers();
  wider.columns.push_back(Col("age", DataType::kInt));
  wider.columns.push_back(Col("vip", DataType::kBoolean));
  ValueBatch batch;
  batch.Reset(5);
  AddRow(batch, {Long(2), Str(batch, "Bob"), Null(DataType::kString), Int(30), Bool(true)});
  // Write() with a changed declaration re-declares the table itself.
  wh_->Write(wider, RecordType::kUpsert, batch);
  EXPECT_EQ(wh_->counters().schema_changes, 2u);
  EXPECT_EQ(All("SELECT customer_id, name, age, vip FROM tester.customers ORDER BY 1"),
            "1|Ann|NULL|NULL\n2|Bob|30|true\n");

  // Declaring fewer columns keeps the others; upserts set them NULL (a missing column is NULL).
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{2, "Bob", "b"}}));
  EXPECT_EQ(All("SELECT customer_id, name, email, age, vip FROM tester.customers ORDER BY 1"),
            "1|Ann|a|NULL|NULL\n2|Bob|b|NULL|NULL\n");
  EXPECT_EQ(wh_->counters().schema_changes, 2u);
}

TEST_P(WarehouseTest, PrimaryKeyChangeAsksForReset) {
  wh_->DefineTable(Customers());
  TableSchema changed = Customers();
  changed.columns[0].primary_key = false;
  changed.columns[2].primary_key = true;
  try {
    wh_->DefineTable(changed);
    FAIL() << "expected ConfigError";
  } catch (const common::ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("tester.customers"));
    EXPECT_THAT(e.what(), HasSubstr("primary key changed from (customer_id) to (email)"));
    EXPECT_THAT(e.what(), HasSubstr("athena-connector reset"));
  }
  TableSchema keyless = Customers();
  keyless.columns[0].primary_key = false;
  EXPECT_THROW(wh_->DefineTable(keyless), common::ConfigError);
}

TEST_P(WarehouseTest, ColumnTypeChangeAsksForReset) {
  wh_->DefineTable(Customers());
  TableSchema changed = Customers();
  changed.columns[1].type = DataType::kJson;
  try {
    wh_->DefineTable(changed);
    FAIL() << "expected ConfigError";
  } catch (const common::ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("column name changed type from VARCHAR to JSON"));
    EXPECT_THAT(e.what(), HasSubstr("athena-connector reset"));
  }
}

TEST_P(WarehouseTest, InvalidDeclarationsAreConfigErrors) {
  EXPECT_THROW(wh_->DefineTable(TableSchema{"", {Col("a", DataType::kLong)}}), common::ConfigError);
  EXPECT_THROW(wh_->DefineTable(TableSchema{"t", {}}), common::ConfigError);
  EXPECT_THROW(wh_->DefineTable(TableSchema{"t", {Col("_fivetran_synced", DataType::kLong)}}),
               common::ConfigError);
  EXPECT_THROW(
      wh_->DefineTable(TableSchema{"t", {Col("a", DataType::kLong), Col("A", DataType::kLong)}}),
      common::ConfigError);
  EXPECT_THROW(wh_->DefineTable(TableSchema{"t", {Col("a", DataType::kUnspecified)}}),
               common::ConfigError);
  EXPECT_EQ(wh_->counters().schema_changes, 0u);
}

TEST_P(WarehouseTest, FailedBatchRollsBackEntirely) {
  TableSchema t{"docs", {Col("id", DataType::kLong, true), Col("doc", DataType::kJson)}};
  wh_->DefineTable(t);
  ValueBatch good;
  good.Reset(2);
  AddRow(good, {Long(0), Text(good, DataType::kJson, "{}")});
  wh_->Write(t, RecordType::kUpsert, good);
  wh_->Checkpoint("{}");

  ValueBatch bad;
  bad.Reset(2);
  for (int i = 0; i < 3000; ++i) {
    AddRow(bad, {Long(i), Text(bad, DataType::kJson, i == 2999 ? "{not json" : "[1]")});
  }
  try {
    wh_->Write(t, RecordType::kUpsert, bad);
    FAIL() << "expected ProtocolError";
  } catch (const common::ProtocolError& e) {
    const std::string what = e.what();
    EXPECT_THAT(what, HasSubstr("table tester.docs: upsert"));
    EXPECT_THAT(what, HasSubstr("Malformed JSON"));
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
  EXPECT_EQ(All("SELECT id, doc FROM tester.docs"), "0|{}\n");
  EXPECT_EQ(wh_->counters().upserts, 1u);
  // Still usable.
  wh_->Write(t, RecordType::kUpsert, good);
  EXPECT_EQ(wh_->counters().upserts, 2u);
}

TEST_P(WarehouseTest, BadValuesAreOneLineErrorsNamingTheTable) {
  wh_->DefineTable(Customers());
  // NULL primary key.
  try {
    wh_->Write(Customers(), RecordType::kUpsert,
               CustomerRows({{1, "a", "b"}}));
    wh_->Checkpoint("{}");  // row 1 is committed; the failures below roll back only themselves
    ValueBatch batch;
    batch.Reset(3);
    AddRow(batch, {Null(DataType::kLong), Str(batch, "x"), Str(batch, "y")});
    wh_->Write(Customers(), RecordType::kUpsert, batch);
    FAIL() << "expected ProtocolError";
  } catch (const common::ProtocolError& e) {
    EXPECT_THAT(e.what(), HasSubstr("tester.customers"));
    EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos);
  }
  // A value of another type than its column: a bug upstream.
  ValueBatch mismatch;
  mismatch.Reset(3);
  AddRow(mismatch, {Int(1), Str(mismatch, "x"), Str(mismatch, "y")});
  EXPECT_THROW(wh_->Write(Customers(), RecordType::kUpsert, mismatch), common::InternalError);
  // Invalid UTF-8 in a string.
  ValueBatch latin1;
  latin1.Reset(3);
  AddRow(latin1, {Long(5), Str(latin1, "caf\xE9"), Null(DataType::kString)});
  EXPECT_THROW(wh_->Write(Customers(), RecordType::kUpsert, latin1), common::ProtocolError);
  // Decimal text that is not a number.
  TableSchema money{"money", {Col("id", DataType::kLong, true), Col("v", DataType::kDecimal, false, 5, 2)}};
  ValueBatch nan;
  nan.Reset(2);
  AddRow(nan, {Long(1), Text(nan, DataType::kDecimal, "12x")});
  EXPECT_THROW(wh_->Write(money, RecordType::kUpsert, nan), common::ProtocolError);
  // Wrong number of columns.
  ValueBatch narrow;
  narrow.Reset(2);
  AddRow(narrow, {Long(1), Str(narrow, "x")});
  EXPECT_THROW(wh_->Write(Customers(), RecordType::kUpsert, narrow), common::InternalError);
  EXPECT_EQ(One("SELECT count(*) FROM tester.customers"), "1");
}

TEST_P(WarehouseTest, CheckpointReplacesStateJsonAtomically) {
  wh_->Checkpoint(R"({"cursor":"a"})");
  wh_->Checkpoint(R"({"query_execution_id":"q-1","position":1000})");
  std::ifstream in(wh_->state_path());
  std::stringstream content;
  content << in.rdbuf();
  EXPECT_EQ(content.str(), R"({"query_execution_id":"q-1","position":1000})");
  for (const auto& entry : fs::directory_iterator(dir_.path())) {
    EXPECT_THAT(entry.path().filename().string(), ::testing::Not(HasSubstr("tmp")));
  }
  EXPECT_EQ(wh_->state_path(), dir_.path() / "state.json");
  EXPECT_THROW(wh_->Checkpoint("not json"), common::ProtocolError);
  EXPECT_THROW(wh_->Checkpoint("[1]"), common::ProtocolError);
  std::ifstream again(wh_->state_path());
  std::stringstream unchanged;
  unchanged << again.rdbuf();
  EXPECT_EQ(unchanged.str(), content.str());
  EXPECT_EQ(wh_->counters().checkpoints, 2u);
}

TEST_P(WarehouseTest, CountsEveryOperation) {
  wh_->DefineTable(Customers());
  wh_->Truncate(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "a", "a"}, {2, "b", "b"}}));
  wh_->Write(Customers(), RecordType::kUpdate, CustomerRows({{1, "c", "c"}}));
  wh_->Write(Customers(), RecordType::kDelete, CustomerRows({{2, nullptr, nullptr}}));
  wh_->Write(Customers(), RecordType::kUpsert, ValueBatch());
  wh_->Checkpoint("{}");
  wh_->Warning("something to know");
  EXPECT_EQ(wh_->counters(), (SyncCounters{.upserts = 2,
                                           .updates = 1,
                                           .deletes = 1,
                                           .truncates = 1,
                                           .schema_changes = 1,
                                           .checkpoints = 1}));
  EXPECT_EQ(wh_->warnings(), std::vector<std::string>{"something to know"});
}

TEST_P(WarehouseTest, WritesBetweenCheckpointsCommitTogether) {
  wh_->DefineTable(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "Ann", "a"}}));
  wh_->Checkpoint(R"({"n":1})");
  // Two writes after the checkpoint, then one that fails: the transaction since the checkpoint is
  // rolled back, so the warehouse never holds more than the state says plus whole batches.
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{2, "Bob", "b"}}));
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "Ann2", "a"}, {3, "Cy", "c"}}));
  ValueBatch latin1;
  latin1.Reset(3);
  AddRow(latin1, {Long(4), Str(latin1, "caf\xE9"), Null(DataType::kString)});
  EXPECT_THROW(wh_->Write(Customers(), RecordType::kUpsert, latin1), common::ProtocolError);
  EXPECT_EQ(All("SELECT customer_id, name FROM tester.customers ORDER BY 1"), "1|Ann\n");

  // Re-delivered after the failure, an upsert of a key inserted in the same transaction replaces it.
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{2, "Bob", "b"}}));
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{2, "Bob2", "b"}, {3, "Cy", "c"}}));
  wh_->Write(Customers(), RecordType::kDelete, CustomerRows({{3, nullptr, nullptr}}));
  wh_->Checkpoint(R"({"n":3})");
  // Writes after the last checkpoint are committed by Close (re-delivering them is harmless).
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{5, "Eve", "e"}}));
  wh_.reset();
  wh_ = Open();
  EXPECT_EQ(All("SELECT customer_id, name, _fivetran_deleted FROM tester.customers ORDER BY 1"),
            "1|Ann|false\n2|Bob2|false\n3|Cy|true\n5|Eve|false\n");
}

TEST_P(WarehouseTest, ReopensExistingWarehouseAndContinues) {
  wh_->DefineTable(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "Ann", "a"}, {2, "Bob", "b"}}));
  wh_->Checkpoint(R"({"n":2})");
  wh_.reset();

  // The clock went backwards; the truncate of the next run still covers the earlier rows.
  clock_.Set(common::SystemTimePoint(std::chrono::seconds(1600000000)));
  wh_ = Open();
  wh_->DefineTable(Customers());
  EXPECT_EQ(wh_->counters().schema_changes, 0u);
  wh_->Truncate(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{2, "Bob", "b"}, {3, "Cy", "c"}}));
  EXPECT_EQ(All("SELECT customer_id, _fivetran_deleted FROM tester.customers ORDER BY 1"),
            "1|true\n2|false\n3|false\n");
  EXPECT_EQ(wh_->counters().upserts, 2u);
  wh_->Close();
  EXPECT_THROW(wh_->Query("SELECT 1"), common::InternalError);
}

TEST_P(WarehouseTest, CustomSchemaName) {
  wh_.reset();
  wh_ = std::make_unique<DuckDbWarehouse>(Options("default_schema"));
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "Ann", "a"}}));
  EXPECT_EQ(One("SELECT name FROM default_schema.customers"), "Ann");
}

TEST_P(WarehouseTest, PreviewsTablesAsAlignedText) {
  wh_->Write(Customers(), RecordType::kUpsert,
             CustomerRows({{2, "B\xC3\xB6" "b", nullptr}, {1, "Ann\nSmith", "ann@example.com"}}));
  const std::string preview = wh_->FormatPreview("customers", 10);
  EXPECT_THAT(preview, HasSubstr("customer_id | name       | email           | _fivetran_synced"));
  EXPECT_THAT(preview, HasSubstr("1           | Ann\\nSmith | ann@example.com | 2023-11-14 22:13:20+00 | false"));
  EXPECT_THAT(preview, HasSubstr("2           | B\xC3\xB6" "b        | NULL            |"));
  EXPECT_THAT(preview, HasSubstr("(2 rows)"));
  EXPECT_LT(preview.find("1           |"), preview.find("2           |"));  // by key
  EXPECT_THAT(wh_->FormatPreview("tester.customers", 1), HasSubstr("(1 row)"));

  wh_->Close();
  const std::string from_file = FormatTablePreview(dir_.path() / "warehouse.db", "tester.customers", 10);
  EXPECT_EQ(from_file, preview);
  EXPECT_THROW(FormatTablePreview(dir_.path() / "missing.db", "tester.customers", 10),
               common::NotFoundError);
  EXPECT_THROW(FormatTablePreview(dir_.path() / "warehouse.db", "tester.nope", 10),
               common::NotFoundError);
}

TEST_P(WarehouseTest, KeyMemoryLimitBoundsOnlyTheKeyBuildAndFallsBackWhenTooSmall) {
  const std::string default_limit = One("SELECT current_setting('memory_limit')");
  EXPECT_NE(default_limit, "244.1 MiB");  // DuckDB's default while rows are written
  WarehouseOptions options = Options();
  options.key_memory_limit = "lots";
  wh_.reset();
  try {
    DuckDbWarehouse bad(options);
    FAIL() << "expected an error naming key_memory_limit";
  } catch (const common::Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("key_memory_limit"));
  }
  // A limit the key does not fit in: it is built again without it (one log line), and the limit
  // is not left behind.
  options.key_memory_limit = "4MB";
  wh_ = std::make_unique<DuckDbWarehouse>(options);
  wh_->DefineTable(Customers());
  ValueBatch batch;
  batch.Reset(3);
  for (int i = 0; i < 330'000; ++i) {
    AddRow(batch, {Long(i % 300'000), Str(batch, "n" + std::to_string(i)), Null(DataType::kString)});
  }
  wh_->Write(Customers(), RecordType::kUpsert, batch);
  std::ostringstream log;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(
      std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log)));
  wh_->Finish();
  spdlog::set_default_logger(previous);
  if (GetParam()) {
    EXPECT_THAT(log.str(), HasSubstr("more memory needed than key_memory_limit 4MB; retrying without it"));
    EXPECT_THAT(log.str(), HasSubstr("primary key (customer_id) added after the bulk load, 30000 superseded"));
  }
  EXPECT_EQ(One("SELECT count(*) FROM tester.customers"), "300000");
  EXPECT_EQ(One("SELECT name FROM tester.customers WHERE customer_id = 5"), "n300005");
  EXPECT_EQ(One("SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'customers' AND "
                "constraint_type = 'PRIMARY KEY'"),
            "1");
  EXPECT_EQ(One("SELECT current_setting('memory_limit')"), default_limit);
}

TEST_P(WarehouseTest, KeysRepeatedAcrossBatchesAndTruncatesKeepTheLastRow) {
  wh_->DefineTable(Customers());
  wh_->Truncate(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "a", "x"}, {2, "b", "x"}}));
  wh_->Checkpoint("{}");
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "a2", nullptr}, {3, "c", "x"}}));
  wh_->Truncate(Customers());
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{2, "b2", "y"}}));
  // `_fivetran_synced` steps by one microsecond per operation (the clock stands still).
  EXPECT_EQ(All("SELECT customer_id, name, email, _fivetran_deleted, epoch_us(_fivetran_synced) - "
                "1700000000000000 FROM tester.customers ORDER BY 1"),
            "1|a2|NULL|true|2\n2|b2|y|false|4\n3|c|x|true|2\n");
  EXPECT_EQ(All("SELECT unnest(constraint_column_names) FROM duckdb_constraints() WHERE "
                "table_name = 'customers' AND constraint_type = 'PRIMARY KEY'"),
            "customer_id\n");
  EXPECT_EQ(One("SELECT comment FROM duckdb_tables() WHERE table_name = 'customers'"), "NULL");
}

TEST_P(WarehouseTest, KeysThatCompareOnlyInDuckDbAreKeyedFromTheStart) {
  // A DOUBLE key (-0.0 = 0.0 in DuckDB, not byte for byte) is never bulk-loaded.
  TableSchema t{"points", {Col("x", DataType::kDouble, true), Col("label", DataType::kString)}};
  ValueBatch batch;
  batch.Reset(2);
  AddRow(batch, {Double(0.0), Str(batch, "zero")});
  wh_->DefineTable(t);
  wh_->Write(t, RecordType::kUpsert, batch);
  wh_->Checkpoint("{}");
  batch.Reset(2);
  AddRow(batch, {Double(-0.0), Str(batch, "minus zero")});
  wh_->Write(t, RecordType::kUpsert, batch);
  // Keyed: the second upsert replaced the row of the equal key (keeping the stored key value).
  EXPECT_EQ(All("SELECT x, label FROM tester.points"), "0.0|minus zero\n");
}

// A first sync killed after a checkpoint (the process ends without closing anything) leaves a
// bulk-loaded table without its key; the next definition of the table adds it.
void KilledFirstSync(const fs::path& dir, common::Clock* clock) {
  DuckDbWarehouse warehouse(WarehouseOptions{dir, "tester", clock});
  warehouse.DefineTable(Customers());
  warehouse.Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "a", "x"}, {2, "b", "x"}}));
  warehouse.DefineTable(Customers());  // the same declaration again: the bulk load goes on
  warehouse.Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "a2", "x"}, {3, "c", "x"}}));
  warehouse.Checkpoint(R"({"rows":4})");
  warehouse.Write(Customers(), RecordType::kUpsert, CustomerRows({{4, "lost", "x"}}));
  std::_Exit(0);
}

TEST(WarehouseBulkLoadTest, AKilledFirstSyncLeavesTheKeyPendingAndTheNextRunAddsIt) {
  TempDir dir;
  common::FakeClock clock{common::SystemTimePoint(std::chrono::seconds(1700000000))};
  // "fast": the child is a fork of this process, so it writes into this test's folder.
  ::testing::FLAGS_gtest_death_test_style = "fast";
  EXPECT_EXIT(KilledFirstSync(dir.path(), &clock), ::testing::ExitedWithCode(0), "");
  ASSERT_TRUE(fs::exists(dir.path() / "state.json"));
  // `show` (read-only) orders the rows by the pending key.
  const std::string preview = FormatTablePreview(dir.path() / "warehouse.db", "customers", 10);
  EXPECT_LT(preview.find("\n2 "), preview.find("\n3 ")) << preview;
  EXPECT_LT(preview.rfind("\n1 "), preview.find("\n2 ")) << preview;
  {
    // As the kill left it (no table is defined by this instance, so nothing is added).
    DuckDbWarehouse raw(WarehouseOptions{dir.path(), "tester", &clock});
    EXPECT_TRUE(raw.Query("SELECT * FROM duckdb_constraints() WHERE table_name = 'customers' AND "
                          "constraint_type = 'PRIMARY KEY'")
                    .rows.empty());
    const QueryResult comment =
        raw.Query("SELECT comment FROM duckdb_tables() WHERE table_name = 'customers'");
    ASSERT_EQ(comment.rows.size(), 1u);
    EXPECT_THAT(comment.rows[0][0].value_or(""), HasSubstr(R"(["customer_id"])"));
    EXPECT_EQ(raw.Query("SELECT customer_id FROM tester.customers").rows.size(), 4u);
  }
  {
    // The same table with another key is refused, and nothing is changed.
    DuckDbWarehouse other(WarehouseOptions{dir.path(), "tester", &clock});
    TableSchema by_email = Customers();
    by_email.columns[0].primary_key = false;
    by_email.columns[2].primary_key = true;
    try {
      other.DefineTable(by_email);
      FAIL() << "expected ConfigError";
    } catch (const common::ConfigError& e) {
      EXPECT_THAT(e.what(), HasSubstr("primary key changed from (customer_id) to (email)"));
    }
  }
  DuckDbWarehouse next(WarehouseOptions{dir.path(), "tester", &clock});
  next.DefineTable(Customers());
  EXPECT_EQ(next.counters().schema_changes, 0u);
  QueryResult rows = next.Query(
      "SELECT customer_id, name, epoch_us(_fivetran_synced) - 1700000000000000 FROM tester.customers "
      "ORDER BY 1");
  ASSERT_EQ(rows.rows.size(), 3u);
  EXPECT_EQ(rows.rows[0][1], "a2");  // the later of the two rows of key 1
  EXPECT_EQ(rows.rows[0][2], "1");
  EXPECT_EQ(rows.rows[1][1], "b");
  EXPECT_EQ(rows.rows[2][1], "c");
  EXPECT_EQ(next.Query("SELECT * FROM duckdb_constraints() WHERE table_name = 'customers' AND "
                       "constraint_type = 'PRIMARY KEY'")
                .rows.size(),
            1u);
  EXPECT_EQ(next.Query("SELECT comment FROM duckdb_tables() WHERE table_name = 'customers'").rows[0][0],
            std::nullopt);
  // The resumed sync goes on with keyed upserts, later than anything before.
  next.Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "a3", "x"}, {4, "d", "x"}}));
  EXPECT_EQ(next.Query("SELECT name FROM tester.customers WHERE customer_id = 1").rows[0][0], "a3");
  EXPECT_EQ(next.Query("SELECT count(*) FROM tester.customers").rows[0][0], "4");
}

/// One random sequence of operations on `table` (seeded): upserts (keys repeating within and
/// across batches, NULLs), truncates, checkpoints and clock steps; then updates and deletes mixed
/// in, which end a bulk load.
void RandomOperations(DuckDbWarehouse& warehouse, common::FakeClock& clock, const TableSchema& table,
                      uint32_t seed) {
  std::mt19937 random(seed);
  auto fill = [&](ValueBatch& batch, int rows) {
    batch.Reset(table.columns.size());
    for (int r = 0; r < rows; ++r) {
      Value* row = batch.AppendRow();
      const int key = static_cast<int>(random() % 400);
      for (size_t c = 0; c < table.columns.size(); ++c) {
        const ColumnSchema& column = table.columns[c];
        const bool null = !column.primary_key && random() % 7 == 0;
        if (null) {
          row[c] = Null(column.type);
        } else if (column.type == DataType::kLong) {
          row[c] = Long(column.primary_key ? key : static_cast<int64_t>(random()));
        } else {
          row[c] = Str(batch, column.primary_key ? "k" + std::to_string(key % 37)
                                                 : std::string(random() % 30, 'v') + std::to_string(random()));
        }
      }
    }
  };
  warehouse.DefineTable(table);
  ValueBatch batch;
  for (int op = 0; op < 150; ++op) {
    const uint32_t dice = random() % 100;
    const bool late = op >= 100;  // updates and deletes only in the last third
    if (dice < 70 || (!late && dice < 85)) {
      fill(batch, 1 + static_cast<int>(random() % 60));
      warehouse.Write(table, RecordType::kUpsert, batch);
    } else if (dice < 78) {
      fill(batch, 1 + static_cast<int>(random() % 20));
      warehouse.Write(table, RecordType::kUpdate, batch);
    } else if (dice < 85) {
      fill(batch, 1 + static_cast<int>(random() % 20));
      warehouse.Write(table, RecordType::kDelete, batch);
    } else if (dice < 89) {
      warehouse.Truncate(table);
    } else if (dice < 96) {
      warehouse.Checkpoint("{}");
    } else {
      clock.Advance(std::chrono::milliseconds(random() % 2000));
    }
  }
}

TEST(WarehouseBulkLoadTest, RandomOperationsEndTheSameWithAndWithoutBulkLoad) {
  const TableSchema tables[] = {
      Customers(),
      TableSchema{"composite", {Col("region", DataType::kString, true), Col("id", DataType::kLong, true),
                                Col("note", DataType::kString)}},
  };
  for (const TableSchema& table : tables) {
    for (uint32_t seed = 1; seed <= 2; ++seed) {
      std::string contents[2];
      for (const bool bulk : {false, true}) {
        TempDir dir;
        common::FakeClock clock{common::SystemTimePoint(std::chrono::seconds(1700000000))};
        WarehouseOptions options{dir.path(), "tester", &clock};
        options.bulk_load = bulk;
        DuckDbWarehouse warehouse(options);
        RandomOperations(warehouse, clock, table, seed);
        std::string order;
        for (size_t index : table.PrimaryKeyIndexes()) {
          order += (order.empty() ? "" : ", ") + ("\"" + table.columns[index].name + "\"");
        }
        for (const auto& row :
             warehouse.Query(fmt::format("SELECT * FROM tester.{} ORDER BY {}", table.name, order)).rows) {
          for (const auto& cell : row) contents[bulk] += cell.value_or("NULL") + "|";
          contents[bulk] += "\n";
        }
        EXPECT_GT(warehouse.counters().upserts, 2000u);
      }
      EXPECT_FALSE(contents[0].empty());
      EXPECT_EQ(contents[0], contents[1]) << table.name << " seed " << seed;
    }
  }
}

TEST(FormatTextTableTest, AlignsAndShortens) {
  QueryResult result;
  result.columns = {"a", "long_header"};
  result.rows.push_back({std::string("x"), std::nullopt});
  result.rows.push_back({std::string(50, 'y'), std::string("\t")});
  EXPECT_EQ(FormatTextTable(result),
            "a                                        | long_header\n"
            "-----------------------------------------+------------\n"
            "x                                        | NULL\n" +
                std::string(37, 'y') + "... | \\t\n(2 rows)\n");
}

INSTANTIATE_TEST_SUITE_P(BulkLoad, WarehouseTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "Bulk" : "KeyedUpserts";
                         });

TEST(DuckDbWarehouseOpenTest, UnusableWorkingDirIsAConfigError) {
  TempDir dir;
  const fs::path file = dir.path() / "a_file";
  std::ofstream(file) << "x";
  EXPECT_THROW(DuckDbWarehouse(WarehouseOptions{file, "tester", nullptr}), common::ConfigError);
  DuckDbWarehouse first(WarehouseOptions{dir.path() / "files", "tester", nullptr});
  EXPECT_TRUE(fs::exists(dir.path() / "files" / "warehouse.db"));
}

}  // namespace
}  // namespace ac::warehouse
