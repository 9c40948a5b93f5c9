#include "results/parquet_cells.h"

#include <gtest/gtest.h>

#include "common/error.h"

#include <cmath>
#include <limits>

namespace ac::results {
namespace {

/// Runs `sql` in an in-memory DuckDB and converts the whole result to rows of Athena text.
class DuckDbQuery {
 public:
  DuckDbQuery() {
    EXPECT_EQ(duckdb_open(nullptr, &db_), DuckDBSuccess);
    EXPECT_EQ(duckdb_connect(db_, &con_), DuckDBSuccess);
  }
  ~DuckDbQuery() {
    duckdb_disconnect(&con_);
    duckdb_close(&db_);
  }
  /// Cells of every row ("<NULL>" for NULL) and the columns' Athena types.
  std::vector<std::vector<std::string>> Run(const std::string& sql,
                                            std::vector<athena::Column>* columns = nullptr,
                                            size_t slice = 0) {
    duckdb_result result;
    if (duckdb_query(con_, sql.c_str(), &result) != DuckDBSuccess) {
      ADD_FAILURE() << duckdb_result_error(&result);
      duckdb_destroy_result(&result);
      return {};
    }
    ParquetCellConverter converter(result);
    if (columns != nullptr) *columns = converter.columns();
    athena::RowBatch batch(converter.columns().size());
    while (duckdb_data_chunk chunk = duckdb_fetch_chunk(result)) {
      const size_t size = duckdb_data_chunk_get_size(chunk);
      const size_t step = slice == 0 ? size : slice;
      for (size_t at = 0; at < size; at += step)
        converter.Append(chunk, at, std::min(size, at + step), batch);
      duckdb_destroy_data_chunk(&chunk);
    }
    duckdb_destroy_result(&result);
    std::vector<std::vector<std::string>> rows;
    for (size_t r = 0; r < batch.num_rows(); ++r) {
      std::vector<std::string> row;
      for (size_t c = 0; c < batch.num_columns(); ++c) {
        row.push_back(batch.is_null(r, c) ? "<NULL>" : std::string(batch.cell(r, c)));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

 private:
  duckdb_database db_ = nullptr;
  duckdb_connection con_ = nullptr;
};

TEST(ParquetCellConverterTest, ATypeWithNoAthenaTextIsAProtocolErrorNamingTheColumn) {
  duckdb_database db = nullptr;
  duckdb_connection con = nullptr;
  ASSERT_EQ(duckdb_open(nullptr, &db), DuckDBSuccess);
  ASSERT_EQ(duckdb_connect(db, &con), DuckDBSuccess);
  for (const char* sql :
       {"SELECT 1 AS ok, '101'::BIT AS flags", "SELECT 1 AS ok, ['101'::BIT] AS flags"}) {
    duckdb_result result;
    ASSERT_EQ(duckdb_query(con, sql, &result), DuckDBSuccess) << duckdb_result_error(&result);
    try {
      ParquetCellConverter converter(result);
      ADD_FAILURE() << sql << ": no error";
    } catch (const common::ProtocolError& e) {
      EXPECT_NE(std::string(e.what()).find("column 'flags'"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("no Athena text form"), std::string::npos) << e.what();
    }
    duckdb_destroy_result(&result);
  }
  duckdb_disconnect(&con);
  duckdb_close(&db);
}

TEST(ParquetCellConverterTest, ScalarsAsAthenaText) {
  DuckDbQuery db;
  std::vector<athena::Column> columns;
  const auto rows = db.Run(
      "SELECT true AS b, CAST(-5 AS TINYINT) AS ti, CAST(300 AS SMALLINT) AS si, 70000 AS i, "
      "CAST(9007199254740993 AS BIGINT) AS bi, CAST(0.1 AS REAL) AS r, CAST(2.5e-5 AS DOUBLE) AS "
      "d, "
      "CAST(-0.05 AS DECIMAL(10,2)) AS dec, CAST(12345678901234567890.123 AS DECIMAL(38,3)) AS "
      "bigdec, "
      "'say \"hi\"\n, there' AS s, '' AS e, CAST('123' AS BLOB) AS bin, DATE '2024-02-29' AS dt, "
      "DATE '0099-01-01' AS old, TIME '01:02:03.456' AS t, TIMESTAMP '2001-08-22 03:04:05.3215' AS "
      "ts, "
      "TIMESTAMP '1969-12-31 23:59:59.999' AS before_epoch, TIMESTAMPTZ '2001-08-22 "
      "03:04:05.321+00' AS tz, "
      "CAST('6ba7b810-9dad-11d1-80b4-00c04fd430c8' AS UUID) AS u, CAST(NULL AS VARCHAR) AS n",
      &columns);
  ASSERT_EQ(rows.size(), 1u);
  const std::vector<std::string> want = {"true",
                                         "-5",
                                         "300",
                                         "70000",
                                         "9007199254740993",
                                         "0.1",
                                         "2.5E-5",
                                         "-0.05",
                                         "12345678901234567890.123",
                                         "say \"hi\"\n, there",
                                         "",
                                         "31 32 33",
                                         "2024-02-29",
                                         "0099-01-01",
                                         "01:02:03.456",
                                         "2001-08-22 03:04:05.322",
                                         "1969-12-31 23:59:59.999",
                                         "2001-08-22 03:04:05.321 UTC",
                                         "6ba7b810-9dad-11d1-80b4-00c04fd430c8",
                                         "<NULL>"};
  EXPECT_EQ(rows[0], want);
  ASSERT_EQ(columns.size(), want.size());
  EXPECT_EQ(columns[0].name, "b");
  EXPECT_EQ(columns[0].type.id, athena::TypeId::kBoolean);
  EXPECT_EQ(columns[1].type.id, athena::TypeId::kTinyint);
  EXPECT_EQ(columns[4].type.id, athena::TypeId::kBigint);
  EXPECT_EQ(columns[5].type.id, athena::TypeId::kReal);
  EXPECT_EQ(columns[7].type.id, athena::TypeId::kDecimal);
  EXPECT_EQ(columns[7].type.precision, 10);
  EXPECT_EQ(columns[7].type.scale, 2);
  EXPECT_EQ(columns[9].type.id, athena::TypeId::kVarchar);
  EXPECT_EQ(columns[11].type.id, athena::TypeId::kVarbinary);
  EXPECT_EQ(columns[15].type.id, athena::TypeId::kTimestamp);
  EXPECT_EQ(columns[17].type.id, athena::TypeId::kTimestampWithTimeZone);
}

TEST(ParquetCellConverterTest, NestedValuesAsAthenaText) {
  DuckDbQuery db;
  std::vector<athena::Column> columns;
  const auto rows = db.Run(
      "SELECT [1, NULL, 3] AS a, ['x y', 'z'] AS s, [[1, 2], []] AS nested, MAP {'k1': 1.5, 'k2': "
      "NULL} AS m, "
      "{'a': 1, 'b': 'two', 'c': [true]} AS r, {'h': {'x': 1}, 'y': 2} AS rr, CAST([] AS "
      "INTEGER[]) AS empty",
      &columns);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"[1, null, 3]", "[x y, z]", "[[1, 2], []]",
                                               "{k1=1.5, k2=null}", "{a=1, b=two, c=[true]}",
                                               "{h={x=1}, y=2}", "[]"}));
  EXPECT_EQ(columns[0].type.id, athena::TypeId::kArray);
  ASSERT_EQ(columns[0].type.children.size(), 1u);
  EXPECT_EQ(columns[0].type.children[0].type.id, athena::TypeId::kInteger);
  EXPECT_EQ(columns[3].type.id, athena::TypeId::kMap);
  EXPECT_EQ(columns[4].type.id, athena::TypeId::kRow);
  ASSERT_EQ(columns[4].type.children.size(), 3u);
  EXPECT_EQ(columns[4].type.children[1].name, "b");
}

TEST(ParquetCellConverterTest, RowSlicesAcrossChunksKeepOrderAndNulls) {
  DuckDbQuery db;
  const auto rows = db.Run(
      "SELECT i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'v' || i END AS s FROM range(5000) t(i) ORDER "
      "BY i",
      nullptr, 7);
  ASSERT_EQ(rows.size(), 5000u);
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i][0], std::to_string(i));
    ASSERT_EQ(rows[i][1], i % 3 == 0 ? "<NULL>" : "v" + std::to_string(i));
  }
}

}  // namespace
}  // namespace ac::results
