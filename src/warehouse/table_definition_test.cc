// DuckDbWarehouse::DefineTable: types, keys, names, schema changes.

#include "warehouse/duckdb_warehouse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "common/error.h"
#include "warehouse/warehouse_test_util.h"

namespace ac::warehouse {
namespace {

using common::DataType;
using common::TableSchema;
using common::ValueBatch;
using connector::RecordType;
using testing::AddRow;
using testing::Bool;
using testing::Col;
using testing::CustomerRows;
using testing::Customers;
using ::testing::HasSubstr;
using testing::Int;
using testing::Long;
using testing::Null;
using testing::Str;
using testing::Text;
using testing::WarehouseTest;

TEST_P(WarehouseTest, CreatesTableWithEveryTypeAndSystemColumns) {
  TableSchema t{
      "all_types",
      {Col("id", DataType::kLong, true), Col("b", DataType::kBoolean), Col("s", DataType::kShort),
       Col("i", DataType::kInt), Col("l", DataType::kLong),
       Col("d", DataType::kDecimal, false, 38, 10), Col("d0", DataType::kDecimal),
       Col("d52", DataType::kDecimal, false, 5, 2), Col("f", DataType::kFloat),
       Col("db", DataType::kDouble), Col("nd", DataType::kNaiveDate),
       Col("ndt", DataType::kNaiveDateTime), Col("udt", DataType::kUtcDateTime),
       Col("bin", DataType::kBinary), Col("x", DataType::kXml), Col("str", DataType::kString),
       Col("j", DataType::kJson), Col("nt", DataType::kNaiveTime)}};
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
  EXPECT_EQ(
      All(R"(SELECT "select", "group", "desc", "we""ird name", "Mixed Case", _fivetran_deleted FROM tester."order")"),
      "1|g|d|7|1.500|true\n");
  // Again with a keyless table named like a keyword.
  TableSchema keyless{"table", {Col("from", DataType::kString)}};
  ValueBatch one;
  one.Reset(1);
  AddRow(one, {Str(one, "x")});
  wh_->Write(keyless, RecordType::kUpsert, one);
  EXPECT_EQ(One(R"(SELECT "from" FROM tester."table")"), "x");
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

TEST_P(WarehouseTest, CustomSchemaName) {
  wh_.reset();
  wh_ = std::make_unique<DuckDbWarehouse>(Options("default_schema"));
  wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "Ann", "a"}}));
  EXPECT_EQ(One("SELECT name FROM default_schema.customers"), "Ann");
}

}  // namespace
}  // namespace ac::warehouse
