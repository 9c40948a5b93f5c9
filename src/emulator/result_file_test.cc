// Formatting of real DuckDB vectors (every type, nested values, NULL vs "") and the result file
// writer/reader round trip.

#include "emulator/result_file.h"

#include <duckdb.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "athena_text/cell_formatter.h"
#include "common/time_zone.h"
#include "emulator/athena_type.h"

namespace ac::emulator {

using athena_text::CellFormatter;
using athena_text::MakeCellFormatter;
namespace {

namespace fs = std::filesystem;

class DuckDbFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(duckdb_open(nullptr, &db_), DuckDBSuccess);
    ASSERT_EQ(duckdb_connect(db_, &conn_), DuckDBSuccess);
    Exec("SET TimeZone = 'UTC'");
    dir_ = fs::temp_directory_path() /
           ("emulator-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override {
    duckdb_disconnect(&conn_);
    duckdb_close(&db_);
    fs::remove_all(dir_);
  }
  void Exec(const std::string& sql) {
    duckdb_result r;
    ASSERT_EQ(duckdb_query(conn_, sql.c_str(), &r), DuckDBSuccess) << duckdb_result_error(&r);
    duckdb_destroy_result(&r);
  }

  // Every cell of the query's rows as Athena text ("NULL" marks SQL NULL).
  std::vector<std::vector<std::string>> Format(
      const std::string& sql, const std::vector<DeclaredType>& declared = {},
      const athena_text::CellTextHints* every_column = nullptr) {
    duckdb_result r;
    EXPECT_EQ(duckdb_query(conn_, sql.c_str(), &r), DuckDBSuccess) << duckdb_result_error(&r);
    const idx_t n = duckdb_column_count(&r);
    std::vector<std::unique_ptr<CellFormatter>> formatters;
    for (idx_t c = 0; c < n; ++c) {
      duckdb_logical_type t = duckdb_column_logical_type(&r, c);
      EXPECT_TRUE(IsFormattableType(t));
      athena_text::CellTextHints hints =
          c < declared.size() ? declared[c].TextHints() : athena_text::CellTextHints{};
      if (every_column != nullptr) hints = *every_column;
      formatters.push_back(MakeCellFormatter(t, hints));
      duckdb_destroy_logical_type(&t);
    }
    std::vector<std::vector<std::string>> rows;
    while (duckdb_data_chunk chunk = duckdb_fetch_chunk(r)) {
      for (idx_t c = 0; c < n; ++c) formatters[c]->Bind(duckdb_data_chunk_get_vector(chunk, c));
      for (idx_t row = 0; row < duckdb_data_chunk_get_size(chunk); ++row) {
        std::vector<std::string> cells;
        for (idx_t c = 0; c < n; ++c) {
          std::string text;
          if (formatters[c]->IsNull(row)) {
            text = "NULL";
          } else {
            formatters[c]->Append(text, row);
          }
          cells.push_back(text);
        }
        rows.push_back(cells);
      }
      duckdb_destroy_data_chunk(&chunk);
    }
    duckdb_destroy_result(&r);
    return rows;
  }

  std::string One(const std::string& expr, DeclaredType declared = {}) {
    auto rows = Format("SELECT " + expr, {declared});
    return rows.at(0).at(0);
  }

  ColumnType Describe(const std::string& expr, DeclaredType declared = {}) {
    duckdb_result r;
    EXPECT_EQ(duckdb_query(conn_, ("SELECT " + expr).c_str(), &r), DuckDBSuccess);
    duckdb_logical_type t = duckdb_column_logical_type(&r, 0);
    ColumnType ct = DescribeColumn(t, declared);
    duckdb_destroy_logical_type(&t);
    duckdb_destroy_result(&r);
    return ct;
  }

  std::string Hive(const std::string& expr, DeclaredType declared = {}) {
    duckdb_result r;
    EXPECT_EQ(duckdb_query(conn_, ("SELECT " + expr).c_str(), &r), DuckDBSuccess);
    duckdb_logical_type t = duckdb_column_logical_type(&r, 0);
    std::string name = HiveTypeName(t, declared);
    duckdb_destroy_logical_type(&t);
    duckdb_destroy_result(&r);
    return name;
  }

  duckdb_database db_ = nullptr;
  duckdb_connection conn_ = nullptr;
  fs::path dir_;
};

TEST_F(DuckDbFixture, ScalarTypesPrintAsAthena) {
  EXPECT_EQ(One("true"), "true");
  EXPECT_EQ(One("false"), "false");
  EXPECT_EQ(One("CAST(-128 AS TINYINT)"), "-128");
  EXPECT_EQ(One("CAST(32767 AS SMALLINT)"), "32767");
  EXPECT_EQ(One("CAST(-2147483648 AS INTEGER)"), "-2147483648");
  EXPECT_EQ(One("CAST(-9223372036854775808 AS BIGINT)"), "-9223372036854775808");
  EXPECT_EQ(One("CAST(200 AS UTINYINT)"), "200");
  EXPECT_EQ(One("CAST(18446744073709551615 AS UBIGINT)"), "18446744073709551615");
  EXPECT_EQ(One("CAST('170141183460469231731687303715884105727' AS HUGEINT)"),
            "170141183460469231731687303715884105727");
  EXPECT_EQ(One("CAST(1.5 AS REAL)"), "1.5");
  EXPECT_EQ(One("CAST(0.1 AS REAL)"), "0.1");
  EXPECT_EQ(One("CAST(0.5 AS DOUBLE)"), "0.5");
  EXPECT_EQ(One("CAST(1e10 AS DOUBLE)"), "1.0E10");
  EXPECT_EQ(One("CAST(0.000999 AS DOUBLE)"), "9.99E-4");
  EXPECT_EQ(One("CAST('nan' AS DOUBLE)"), "NaN");
  EXPECT_EQ(One("CAST(12.3 AS DECIMAL(4,1))"), "12.3");       // int16 storage
  EXPECT_EQ(One("CAST(-0.05 AS DECIMAL(9,2))"), "-0.05");     // int32
  EXPECT_EQ(One("CAST(12.34 AS DECIMAL(18,4))"), "12.3400");  // int64
  EXPECT_EQ(One("CAST('12345678901234567890123456789.123456789' AS DECIMAL(38,9))"),
            "12345678901234567890123456789.123456789");  // hugeint
  EXPECT_EQ(One("CAST(0 AS DECIMAL(10,2))"), "0.00");
  EXPECT_EQ(One("'text, \"quoted\"\nline'"), "text, \"quoted\"\nline");
  EXPECT_EQ(One("''"), "");
  EXPECT_EQ(One("'ab'", DeclaredType::Parse("char(5)")), "ab   ");
  EXPECT_EQ(One("'é'", DeclaredType::Parse("char(3)")), "é  ");
  EXPECT_EQ(One("from_hex('00ff10')"), "00 ff 10");
  EXPECT_EQ(One("''::BLOB"), "");
  EXPECT_EQ(One("json('{\"a\": [1, 2], \"s\": \"x y\"}')"), "{\"a\":[1,2],\"s\":\"x y\"}");
  EXPECT_EQ(One("CAST('12151fd2-7586-11e9-8f9e-2a86e4085a59' AS UUID)"),
            "12151fd2-7586-11e9-8f9e-2a86e4085a59");
  EXPECT_EQ(One("CAST('00000000-0000-0000-0000-000000000000' AS UUID)"),
            "00000000-0000-0000-0000-000000000000");
  EXPECT_EQ(One("CAST('ffffffff-ffff-ffff-ffff-ffffffffffff' AS UUID)"),
            "ffffffff-ffff-ffff-ffff-ffffffffffff");
  EXPECT_EQ(One("'b'::ENUM('a', 'b')"), "b");
}

TEST_F(DuckDbFixture, DatesTimesAndIntervals) {
  EXPECT_EQ(One("DATE '2024-02-29'"), "2024-02-29");
  EXPECT_EQ(One("TIME '01:02:03.456789'"), "01:02:03.456");
  EXPECT_EQ(One("TIMETZ '01:02:03.456+05:30'"), "01:02:03.456+05:30");
  EXPECT_EQ(One("TIMESTAMP '2024-01-31 13:14:15.678'"), "2024-01-31 13:14:15.678");
  EXPECT_EQ(One("TIMESTAMP '2024-01-31 13:14:15'"), "2024-01-31 13:14:15.000");
  EXPECT_EQ(One("TIMESTAMP '2024-01-31 13:14:15.6785'"), "2024-01-31 13:14:15.679");  // rounded
  EXPECT_EQ(One("TIMESTAMP_S '2024-01-31 13:14:15'"), "2024-01-31 13:14:15.000");
  EXPECT_EQ(One("TIMESTAMP_MS '2024-01-31 13:14:15.123'"), "2024-01-31 13:14:15.123");
  EXPECT_EQ(One("TIMESTAMP_NS '2024-01-31 13:14:15.123456789'"), "2024-01-31 13:14:15.123");
  EXPECT_EQ(One("TIMESTAMPTZ '2024-01-31 13:14:15.678+02'"), "2024-01-31 11:14:15.678 UTC");
  EXPECT_EQ(One("TIMESTAMP '1969-12-31 23:59:59.999'"), "1969-12-31 23:59:59.999");
  EXPECT_EQ(One("INTERVAL '14 months'"), "1-2");
  EXPECT_EQ(One("INTERVAL '2 days 03:04:05.678'"), "2 03:04:05.678");
  EXPECT_EQ(One("INTERVAL '14 months'", DeclaredType::Parse("interval day to second")),
            "420 00:00:00.000");
  EXPECT_EQ(One("INTERVAL '0 days'", DeclaredType::Parse("interval year to month")), "0-0");
  EXPECT_EQ(One("-INTERVAL '18 months'"), "-1-6");
}

// athena-local --time-zone: values shown as Athena prints a value of a named zone.
TEST_F(DuckDbFixture, TimestampsWithTimeZoneShowInTheDisplayZone) {
  common::TimeZoneCache zones;
  athena_text::CellTextHints hints;
  hints.zone = zones.Find("America/Los_Angeles");
  hints.zone_id = "America/Los_Angeles";
  ASSERT_NE(hints.zone, nullptr);
  EXPECT_EQ(
      Format(
          "SELECT TIMESTAMPTZ '2024-01-31 13:14:15.678+00', TIMESTAMPTZ '2024-07-01 12:00:00+00', "
          "TIMESTAMPTZ '1970-01-01 00:00:00.001+00', NULL::TIMESTAMPTZ, TIMESTAMP '2024-01-31 "
          "13:14:15'",
          {}, &hints),
      (std::vector<std::vector<std::string>>{{"2024-01-31 05:14:15.678 America/Los_Angeles",
                                              "2024-07-01 05:00:00.000 America/Los_Angeles",
                                              "1969-12-31 16:00:00.001 America/Los_Angeles", "NULL",
                                              "2024-01-31 13:14:15.000"}}));
  EXPECT_EQ(Format("SELECT TIMESTAMPTZ '2024-01-31 13:14:15.678+00'"),
            (std::vector<std::vector<std::string>>{{"2024-01-31 13:14:15.678 UTC"}}));
}

TEST_F(DuckDbFixture, NestedValues) {
  EXPECT_EQ(One("[1, 2, NULL]"), "[1, 2, null]");
  EXPECT_EQ(One("['a,b', 'c \"d\"', '']"), "[a,b, c \"d\", ]");
  EXPECT_EQ(One("[[1, 2], [], NULL]"), "[[1, 2], [], null]");
  EXPECT_EQ(One("CAST([] AS INTEGER[])"), "[]");
  EXPECT_EQ(One("[1.5, 1e10]::DOUBLE[]"), "[1.5, 1.0E10]");
  EXPECT_EQ(One("[1, 2]::INTEGER[2]"), "[1, 2]");
  EXPECT_EQ(One("MAP(['k1', 'k2'], [1, NULL])"), "{k1=1, k2=null}");
  EXPECT_EQ(One("MAP([1], [[DATE '2024-01-01']])"), "{1=[2024-01-01]}");
  EXPECT_EQ(One("{'a': 1, 'b': 'x', 'c': {'h': 1.5, 'y': [1]}}"), "{a=1, b=x, c={h=1.5, y=[1]}}");
  EXPECT_EQ(One("row(1, 'a')"), "{field0=1, field1=a}");
  EXPECT_EQ(One("{'a': NULL, 'b': ''}"), "{a=null, b=}");
  EXPECT_EQ(One("[{'t': TIMESTAMP '2024-01-01 00:00:00'}]"), "[{t=2024-01-01 00:00:00.000}]");
  EXPECT_EQ(One("[from_hex('0102')]"), "[01 02]");
}

TEST_F(DuckDbFixture, ColumnInfoTypesAndPrecision) {
  auto expect = [&](const std::string& expr, const std::string& type, int p, int s,
                    DeclaredType d = {}) {
    ColumnType ct = Describe(expr, d);
    EXPECT_EQ(ct.type, type) << expr;
    EXPECT_EQ(ct.precision, p) << expr;
    EXPECT_EQ(ct.scale, s) << expr;
  };
  expect("true", "boolean", 0, 0);
  expect("1::TINYINT", "tinyint", 3, 0);
  expect("1::SMALLINT", "smallint", 5, 0);
  expect("1::INTEGER", "integer", 10, 0);
  expect("1::BIGINT", "bigint", 19, 0);
  expect("1::REAL", "real", 17, 0);
  expect("1::REAL", "float", 17, 0, DeclaredType::Parse("float"));
  expect("1::DOUBLE", "double", 17, 0);
  expect("1::DECIMAL(10,1)", "decimal", 10, 1);
  expect("'x'", "varchar", 2147483647, 0);
  expect("'x'", "varchar", 10, 0, DeclaredType::Parse("varchar(10)"));
  expect("'x'", "char", 3, 0, DeclaredType::Parse("CHAR(3)"));
  expect("'x'", "ipaddress", 0, 0, DeclaredType::Parse("ipaddress"));
  expect("''::BLOB", "varbinary", 1073741824, 0);
  expect("DATE '2024-01-01'", "date", 0, 0);
  expect("TIME '01:00:00'", "time", 3, 0);
  expect("TIMESTAMP '2024-01-01'", "timestamp", 3, 0);
  expect("TIMESTAMPTZ '2024-01-01'", "timestamp with time zone", 3, 0);
  expect("[1]", "array", 0, 0);
  expect("MAP([1],[2])", "map", 0, 0);
  expect("{'a': 1}", "row", 0, 0);
  expect("json('[]')", "json", 0, 0);
  expect("gen_random_uuid()", "uuid", 0, 0);
  EXPECT_TRUE(Describe("'x'").case_sensitive);
  EXPECT_FALSE(Describe("1").case_sensitive);
}

TEST_F(DuckDbFixture, HiveTypeNames) {
  EXPECT_EQ(Hive("'x'"), "string");
  EXPECT_EQ(Hive("1::INTEGER"), "int");
  EXPECT_EQ(Hive("1::BIGINT"), "bigint");
  EXPECT_EQ(Hive("1::DECIMAL(10,2)"), "decimal(10,2)");
  EXPECT_EQ(Hive("[1::INTEGER]"), "array<int>");
  EXPECT_EQ(Hive("{'a': 1::INTEGER, 'b': 'x'}"), "struct<a:int,b:string>");
  EXPECT_EQ(Hive("MAP(['a'], [1::INTEGER])"), "map<string,int>");
  EXPECT_EQ(Hive("TIMESTAMP '2024-01-01'"), "timestamp");
  EXPECT_EQ(Hive("DATE '2024-01-01'"), "date");
  EXPECT_EQ(Hive("''::BLOB"), "binary");
  EXPECT_EQ(Hive("true"), "boolean");
  EXPECT_EQ(Hive("1::DOUBLE"), "double");
  EXPECT_EQ(Hive("1::FLOAT"), "float");
  EXPECT_EQ(Hive("1::TINYINT"), "tinyint");
  EXPECT_EQ(Hive("1::SMALLINT"), "smallint");
  EXPECT_EQ(Hive("'x'", DeclaredType::Parse("varchar(10)")), "varchar(10)");
  EXPECT_EQ(Hive("'x'", DeclaredType::Parse("char(2)")), "char(2)");
}

TEST(DeclaredTypeTest, Parse) {
  EXPECT_EQ(DeclaredType::Parse("char(5)").kind, DeclaredType::Kind::kChar);
  EXPECT_EQ(DeclaredType::Parse("char(5)").length, 5);
  EXPECT_EQ(DeclaredType::Parse(" VARCHAR ( 20 ) ").ToString(), "varchar(20)");
  EXPECT_EQ(DeclaredType::Parse("Interval  Year To Month").kind,
            DeclaredType::Kind::kIntervalYearToMonth);
  EXPECT_TRUE(DeclaredType::Parse("string").empty());
  EXPECT_TRUE(DeclaredType::Parse("char(x)").empty());
  EXPECT_TRUE(DeclaredType::Parse("varchar").empty());
}

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_F(DuckDbFixture, CsvFileQuotesEveryCellAndLeavesNullUnquoted) {
  duckdb_result r;
  ASSERT_EQ(duckdb_query(conn_,
                         "SELECT * FROM (VALUES (1, 'a', 1.5::DOUBLE), (2, NULL, NULL), "
                         "(3, '', 0.0), (4, 'x \"y\", z\nw', -1e-5)) t(id, s, d) ORDER BY id",
                         &r),
            DuckDBSuccess);
  const fs::path path = dir_ / "q.csv";
  ResultFileWriter writer(path, ResultMetadata::Format::kCsv);
  writer.WriteHeader({"id", "s", "d"});
  std::vector<std::unique_ptr<CellFormatter>> f;
  for (idx_t c = 0; c < 3; ++c) {
    duckdb_logical_type t = duckdb_column_logical_type(&r, c);
    f.push_back(MakeCellFormatter(t));
    duckdb_destroy_logical_type(&t);
  }
  writer.SetFormatters(std::move(f));
  while (duckdb_data_chunk chunk = duckdb_fetch_chunk(r)) {
    writer.WriteChunk(chunk);
    duckdb_destroy_data_chunk(&chunk);
  }
  duckdb_destroy_result(&r);
  writer.Finish();
  EXPECT_EQ(writer.rows(), 4u);
  const std::string expected =
      "\"id\",\"s\",\"d\"\n"
      "\"1\",\"a\",\"1.5\"\n"
      "\"2\",,\n"
      "\"3\",\"\",\"0.0\"\n"
      "\"4\",\"x \"\"y\"\", z\nw\",\"-1.0E-5\"\n";
  EXPECT_EQ(ReadAll(path), expected);
  EXPECT_EQ(writer.bytes(), expected.size());

  // Reading back: header, values, NULL vs "", embedded newline; resume at an offset.
  ResultFileReader reader(path, ResultMetadata::Format::kCsv, 0);
  std::vector<ResultCell> cells;
  ASSERT_TRUE(reader.Next(cells));
  ASSERT_EQ(cells.size(), 3u);
  EXPECT_EQ(cells[0].text, "id");
  ASSERT_TRUE(reader.Next(cells));
  EXPECT_EQ(cells[1].text, "a");
  const uint64_t second = reader.offset();
  ASSERT_TRUE(reader.Next(cells));
  EXPECT_FALSE(cells[0].is_null);
  EXPECT_TRUE(cells[1].is_null);
  EXPECT_TRUE(cells[2].is_null);
  ASSERT_TRUE(reader.Next(cells));
  EXPECT_FALSE(cells[1].is_null);
  EXPECT_EQ(cells[1].text, "");
  ASSERT_TRUE(reader.Next(cells));
  EXPECT_EQ(cells[1].text, "x \"y\", z\nw");
  EXPECT_EQ(cells[2].text, "-1.0E-5");
  EXPECT_FALSE(reader.Next(cells));

  ResultFileReader resumed(path, ResultMetadata::Format::kCsv, second);
  ASSERT_TRUE(resumed.Next(cells));
  EXPECT_EQ(cells[0].text, "2");
  EXPECT_TRUE(cells[1].is_null);
}

TEST_F(DuckDbFixture, SingleColumnNullRowIsAnEmptyLine) {
  const fs::path path = dir_ / "one.csv";
  {
    std::ofstream out(path);
    out << "\"x\"\n\n\"\"\n";
  }
  ResultFileReader reader(path, ResultMetadata::Format::kCsv, 0);
  std::vector<ResultCell> cells;
  ASSERT_TRUE(reader.Next(cells));
  ASSERT_TRUE(reader.Next(cells));
  ASSERT_EQ(cells.size(), 1u);
  EXPECT_TRUE(cells[0].is_null);
  ASSERT_TRUE(reader.Next(cells));
  EXPECT_FALSE(cells[0].is_null);
  EXPECT_FALSE(reader.Next(cells));
}

TEST_F(DuckDbFixture, LargeResultsStreamAcrossReaderBuffers) {
  duckdb_result r;
  ASSERT_EQ(duckdb_query(conn_,
                         "SELECT range AS n, repeat('x', (range % 50)::INTEGER) || '\"' AS s "
                         "FROM range(50000)",
                         &r),
            DuckDBSuccess);
  const fs::path path = dir_ / "big.csv";
  ResultFileWriter writer(path, ResultMetadata::Format::kCsv);
  writer.WriteHeader({"n", "s"});
  std::vector<std::unique_ptr<CellFormatter>> f;
  for (idx_t c = 0; c < 2; ++c) {
    duckdb_logical_type t = duckdb_column_logical_type(&r, c);
    f.push_back(MakeCellFormatter(t));
    duckdb_destroy_logical_type(&t);
  }
  writer.SetFormatters(std::move(f));
  while (duckdb_data_chunk chunk = duckdb_fetch_chunk(r)) {
    writer.WriteChunk(chunk);
    duckdb_destroy_data_chunk(&chunk);
  }
  duckdb_destroy_result(&r);
  writer.Finish();
  ResultFileReader reader(path, ResultMetadata::Format::kCsv, 0);
  std::vector<ResultCell> cells;
  ASSERT_TRUE(reader.Next(cells));
  int64_t n = 0;
  while (reader.Next(cells)) {
    ASSERT_EQ(cells[0].text, std::to_string(n));
    ASSERT_EQ(cells[1].text, std::string(static_cast<size_t>(n % 50), 'x') + "\"");
    ++n;
  }
  EXPECT_EQ(n, 50000);
}

TEST(ResultMetadataTest, JsonRoundTrip) {
  ResultMetadata m;
  m.format = ResultMetadata::Format::kText;
  m.rows = 7;
  m.columns.push_back({"a", ColumnType{"varchar", 10, 0, true}});
  m.columns.push_back({"b", ColumnType{"decimal", 12, 2, false}});
  ResultMetadata back = ResultMetadata::FromJson(m.ToJson());
  EXPECT_EQ(back.format, ResultMetadata::Format::kText);
  EXPECT_EQ(back.rows, 7u);
  ASSERT_EQ(back.columns.size(), 2u);
  EXPECT_EQ(back.columns[1].type.precision, 12);
  EXPECT_TRUE(back.columns[0].type.case_sensitive);
  EXPECT_THROW(ResultMetadata::FromJson("{"), std::runtime_error);
}

}  // namespace
}  // namespace ac::emulator
