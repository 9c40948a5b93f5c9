// DuckDbWarehouse::Write and Truncate: upserts, updates, deletes, truncates and bad batches.

#include "warehouse/duckdb_warehouse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <tuple>

#include "common/error.h"
#include "warehouse/warehouse_test_util.h"

namespace ac::warehouse {
namespace {

using common::DataType;
using common::TableSchema;
using common::Value;
using common::ValueBatch;
using connector::RecordType;
using testing::AddRow;
using testing::Bool;
using testing::Col;
using testing::CustomerRows;
using testing::Customers;
using testing::Double;
using testing::Float;
using ::testing::HasSubstr;
using testing::Int;
using testing::Long;
using testing::Null;
using testing::Short;
using testing::Str;
using testing::Text;
using testing::Time;
using testing::WarehouseTest;

TEST_P(WarehouseTest, ReadsBackEveryTypeExactly) {
  TableSchema t{
      "all_types",
      {Col("id", DataType::kLong, true), Col("b", DataType::kBoolean), Col("s", DataType::kShort),
       Col("i", DataType::kInt), Col("l", DataType::kLong),
       Col("d", DataType::kDecimal, false, 38, 10), Col("f", DataType::kFloat),
       Col("db", DataType::kDouble), Col("nd", DataType::kNaiveDate),
       Col("ndt", DataType::kNaiveDateTime), Col("udt", DataType::kUtcDateTime),
       Col("bin", DataType::kBinary), Col("x", DataType::kXml), Col("str", DataType::kString),
       Col("j", DataType::kJson), Col("nt", DataType::kNaiveTime)}};
  ValueBatch batch;
  batch.Reset(t.columns.size());
  AddRow(batch,
         {Long(1), Bool(true), Short(-32768), Int(2147483647), Long(-9223372036854775807LL),
          Text(batch, DataType::kDecimal, "1234567890123456789012345678.0123456789"), Float(1.5f),
          Double(0.1), Time(DataType::kNaiveDate, 19723 * 86400),
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
  AddRow(batch,
         {Long(3), Bool(false), Short(0), Int(-1), Long(0), Text(batch, DataType::kDecimal, "-0.5"),
          Float(-0.0f), Double(-1e300), Time(DataType::kNaiveDate, -86400),
          Time(DataType::kNaiveDateTime, -1, 500000000), Time(DataType::kUtcDateTime, 0),
          Text(batch, DataType::kBinary, ""), Text(batch, DataType::kXml, ""), Str(batch, ""),
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
  EXPECT_EQ(
      One("SELECT j->>'$.a[2].b' IS NULL AND json_valid(j) FROM tester.all_types WHERE id = 1"),
      "true");
  EXPECT_EQ(wh_->counters().upserts, 3u);
}

TEST_P(WarehouseTest, UpsertReplacesByPrimaryKey) {
  wh_->DefineTable(Customers());
  wh_->Write(Customers(), RecordType::kUpsert,
             CustomerRows({{1, "Ann", "ann@x"}, {2, "Bob", "bob@x"}}));
  clock_.Advance(std::chrono::seconds(10));
  wh_->Write(Customers(), RecordType::kUpsert,
             CustomerRows({{2, "Bobby", nullptr}, {3, "Cy", "c"}}));
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
  wh_->Write(
      Customers(), RecordType::kUpsert,
      CustomerRows({{1, "first", "a"}, {2, "x", "x"}, {1, "second", "b"}, {1, "last", "c"}}));
  EXPECT_EQ(All("SELECT customer_id, name, email FROM tester.customers ORDER BY 1"),
            "1|last|c\n2|x|x\n");
  // Across DuckDB chunk boundaries (2048 rows): 5000 rows over 100 keys.
  ValueBatch batch;
  batch.Reset(3);
  for (int i = 0; i < 5000; ++i) {
    AddRow(batch, {Long(i % 100), Str(batch, std::string("n").append(std::to_string(i))),
                   Null(DataType::kString)});
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
                {Col("amount", DataType::kDecimal, true, 10, 2),
                 Col("day", DataType::kNaiveDate, true), Col("v", DataType::kString)}};
  ValueBatch batch;
  batch.Reset(3);
  AddRow(batch,
         {Text(batch, DataType::kDecimal, "1.0"), Time(DataType::kNaiveDate, 0), Str(batch, "a")});
  AddRow(batch, {Text(batch, DataType::kDecimal, "1.00"), Time(DataType::kNaiveDate, 3600),
                 Str(batch, "b")});
  AddRow(batch,
         {Text(batch, DataType::kDecimal, "2"), Time(DataType::kNaiveDate, 0), Str(batch, "c")});
  wh_->Write(t, RecordType::kUpsert, batch);
  EXPECT_EQ(All("SELECT amount, day, v FROM tester.mixed_keys ORDER BY 1"),
            "1.00|1970-01-01|b\n2.00|1970-01-01|c\n");
  wh_->Write(t, RecordType::kUpdate, batch);
  wh_->Write(t, RecordType::kDelete, batch);
  EXPECT_EQ(All("SELECT amount, v, _fivetran_deleted FROM tester.mixed_keys ORDER BY 1"),
            "1.00|b|true\n2.00|c|true\n");

  TableSchema times{"time_keys",
                    {Col("at", DataType::kUtcDateTime, true), Col("v", DataType::kString)}};
  ValueBatch rows;
  rows.Reset(2);
  AddRow(rows, {Time(DataType::kUtcDateTime, 10, 1000), Str(rows, "first")});
  AddRow(rows, {Time(DataType::kUtcDateTime, 10, 1999), Str(rows, "second")});
  wh_->Write(times, RecordType::kUpsert, rows);
  EXPECT_EQ(All(R"(SELECT epoch_us("at"), v FROM tester.time_keys)"), "10000001|second\n");
}

TEST_P(WarehouseTest, UpdateChangesExistingRowsAndIgnoresAbsentOnes) {
  wh_->DefineTable(Customers());
  wh_->Write(Customers(), RecordType::kUpsert,
             CustomerRows({{1, "Ann", "ann@x"}, {2, "Bob", "b"}}));
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
  wh_->Write(Customers(), RecordType::kDelete,
             CustomerRows({{2, nullptr, nullptr}, {7, nullptr, nullptr}}));
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
    wh_->Write(Customers(), RecordType::kUpsert, CustomerRows({{1, "a", "b"}}));
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
  TableSchema money{"money",
                    {Col("id", DataType::kLong, true), Col("v", DataType::kDecimal, false, 5, 2)}};
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

}  // namespace
}  // namespace ac::warehouse
