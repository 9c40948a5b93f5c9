// The catalog over DuckDB (registration of Athena DDL, listings, Glue-style table info) and the
// Athena names and types of query result columns it feeds.

#include "emulator/catalog.h"

#include <duckdb.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "emulator/duckdb_exec.h"
#include "emulator/hive_seed.h"
#include "emulator/result_columns.h"
#include "emulator/sql_translate.h"

namespace ac::emulator {
namespace {

namespace fs = std::filesystem;

// A database file named like the engine's, so that its DuckDB catalog is awsdatacatalog.
class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("catalog-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
    const std::string path = (dir_ / "awsdatacatalog.duckdb").string();
    ASSERT_EQ(duckdb_open(path.c_str(), &db_), DuckDBSuccess);
    ASSERT_EQ(duckdb_connect(db_, &conn_), DuckDBSuccess);
    CreateCatalogTables(conn_);
    UseDatabase(conn_, "default");
  }
  void TearDown() override {
    duckdb_disconnect(&conn_);
    duckdb_close(&db_);
    fs::remove_all(dir_);
  }
  // Athena DDL run as the engine runs it: DuckDB's statement, then the table's registration.
  void CreateTable(const std::string& athena_ddl) {
    const Statement st = TranslateStatement(athena_ddl);
    Exec(conn_, st.duckdb_sql);
    RegisterTable(conn_, st, st.database.empty() ? "default" : st.database);
  }
  ResultColumns Describe(const std::string& sql) {
    duckdb_prepared_statement stmt = nullptr;
    EXPECT_EQ(duckdb_prepare(conn_, sql.c_str(), &stmt), DuckDBSuccess);
    ResultColumns columns = DescribeResultColumns(conn_, stmt, sql, "default");
    duckdb_destroy_prepare(&stmt);
    return columns;
  }

  fs::path dir_;
  duckdb_database db_ = nullptr;
  duckdb_connection conn_ = nullptr;
};

using Names = std::vector<std::string>;

TEST_F(CatalogTest, ListsDatabasesAndTablesButNotItsOwnSchemas) {
  Exec(conn_, "CREATE SCHEMA sales");
  Exec(conn_, "CREATE TABLE sales.orders (id INTEGER)");
  Exec(conn_, "CREATE VIEW sales.recent AS SELECT * FROM sales.orders");
  EXPECT_EQ(ListDatabaseNames(conn_), (Names{"default", "sales"}));
  EXPECT_TRUE(SchemaExistsIn(conn_, "SALES"));
  EXPECT_FALSE(SchemaExistsIn(conn_, "nope"));
  EXPECT_EQ(ListTableNames(conn_, "Sales"), (Names{"orders", "recent"}));
  EXPECT_EQ(ListTableNames(conn_, "sales", true), (Names{"recent"}));
  std::string type;
  EXPECT_TRUE(TableExistsIn(conn_, "sales", "RECENT", &type));
  EXPECT_EQ(type, "VIEW");
  EXPECT_TRUE(TableExistsIn(conn_, "sales", "orders", &type));
  EXPECT_EQ(type, "BASE TABLE");
  EXPECT_FALSE(TableExistsIn(conn_, "default", "orders"));
}

TEST_F(CatalogTest, TableInfoCarriesWhatTheDdlDeclared) {
  CreateTable(
      "CREATE EXTERNAL TABLE t (id bigint COMMENT 'the id', c CHAR(5)) COMMENT 'tbl' "
      "PARTITIONED BY (dt string) LOCATION 's3://b/t/' TBLPROPERTIES ('classification'='csv')");
  const auto engine_start = std::chrono::system_clock::from_time_t(1700000000);
  auto info = ReadTableInfo(conn_, "default", "T", engine_start);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->name, "t");
  EXPECT_EQ(info->table_type, "EXTERNAL_TABLE");
  ASSERT_EQ(info->columns.size(), 3u);
  EXPECT_EQ(info->columns[0].name, "id");
  EXPECT_EQ(info->columns[0].hive_type, "bigint");
  EXPECT_EQ(info->columns[0].comment, "the id");
  EXPECT_EQ(info->columns[1].hive_type, "char(5)");
  EXPECT_FALSE(info->columns[1].partition_key);
  EXPECT_EQ(info->columns[2].name, "dt");
  EXPECT_TRUE(info->columns[2].partition_key);
  EXPECT_GT(info->create_time, engine_start);  // recorded when the table was created
  using Parameter = std::pair<std::string, std::string>;
  const auto& params = info->parameters;
  ASSERT_GE(params.size(), 4u);
  EXPECT_EQ(params.front(), (Parameter{"EXTERNAL", "TRUE"}));
  EXPECT_NE(std::find(params.begin(), params.end(), Parameter{"comment", "tbl"}), params.end());
  EXPECT_NE(std::find(params.begin(), params.end(), Parameter{"classification", "csv"}),
            params.end());
  EXPECT_EQ(params.back().first, "transient_lastDdlTime");

  // A table made without Athena DDL: DuckDB's types, the engine's start as its creation time.
  Exec(conn_, "CREATE TABLE \"default\".plain (v VARCHAR)");
  info = ReadTableInfo(conn_, "default", "plain", engine_start);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->create_time, engine_start);
  ASSERT_EQ(info->columns.size(), 1u);
  EXPECT_EQ(info->columns[0].hive_type, "string");
  EXPECT_EQ(info->parameters, (std::vector<Parameter>{{"EXTERNAL", "TRUE"},
                                                      {"transient_lastDdlTime", "1700000000"}}));
  EXPECT_FALSE(ReadTableInfo(conn_, "default", "missing", engine_start));
}

TEST_F(CatalogTest, DeclaredTypesFollowAddedColumnsAndUnregistering) {
  CreateTable("CREATE EXTERNAL TABLE t (id int, code char(3))");
  Exec(conn_, "ALTER TABLE \"default\".t ADD COLUMN note VARCHAR");
  RegisterAddedColumn(conn_, "default", "t", ColumnDefinition{"note", "varchar(10)", "", false});
  auto declared = DeclaredTypesOf(conn_, "DEFAULT", "T");
  ASSERT_EQ(declared.size(), 2u);  // int needs no declared type
  EXPECT_EQ(declared["code"].ToString(), "char(3)");
  EXPECT_EQ(declared["note"].ToString(), "varchar(10)");
  UnregisterTables(conn_, "default", "t");
  EXPECT_TRUE(DeclaredTypesOf(conn_, "default", "t").empty());

  CreateTable("CREATE EXTERNAL TABLE a (c char(1))");
  CreateTable("CREATE EXTERNAL TABLE b (c char(2))");
  UnregisterTables(conn_, "default", "");
  EXPECT_TRUE(DeclaredTypesOf(conn_, "default", "a").empty());
  EXPECT_TRUE(DeclaredTypesOf(conn_, "default", "b").empty());
}

TEST_F(CatalogTest, ResultColumnsAreNamedAndTypedLikeAthena) {
  CreateTable("CREATE EXTERNAL TABLE t (id int, code char(3))");
  ResultColumns result = Describe("SELECT code, id + 1, id AS renamed, upper(code) AS u FROM t");
  ASSERT_EQ(result.columns.size(), 4u);
  EXPECT_EQ(result.formatters.size(), 4u);
  EXPECT_EQ(result.columns[0].name, "code");
  EXPECT_EQ(result.columns[0].type.type, "char");
  EXPECT_EQ(result.columns[0].type.precision, 3);
  EXPECT_EQ(result.columns[1].name, "_col1");
  EXPECT_EQ(result.columns[1].type.type, "integer");
  EXPECT_EQ(result.columns[2].name, "renamed");
  EXPECT_EQ(result.columns[3].name, "u");
  EXPECT_EQ(result.columns[3].type.type, "varchar");

  result = Describe("SELECT * FROM t");  // a star keeps the declared types
  ASSERT_EQ(result.columns.size(), 2u);
  EXPECT_EQ(result.columns[1].name, "code");
  EXPECT_EQ(result.columns[1].type.type, "char");

  result = Describe("SELECT 1, 'x' AS \"two words\"");
  EXPECT_EQ(result.columns[0].name, "_col0");
  EXPECT_EQ(result.columns[1].name, "two words");
}

TEST_F(CatalogTest, AnalyzeSelectReadsTheLeftmostSelect) {
  SelectShape shape =
      AnalyzeSelect(conn_, "SELECT a AS x, * FROM S.T1 UNION ALL SELECT b, c FROM t2");
  ASSERT_TRUE(shape.valid);
  ASSERT_EQ(shape.items.size(), 2u);
  EXPECT_EQ(shape.items[0].cls, "COLUMN_REF");
  EXPECT_EQ(shape.items[0].alias, "x");
  EXPECT_EQ(shape.items[0].column, "a");
  EXPECT_EQ(shape.items[1].cls, "STAR");
  EXPECT_EQ(shape.base_schema, "s");
  EXPECT_EQ(shape.base_table, "t1");
  EXPECT_EQ(AnalyzeSelect(conn_, "SELECT * EXCLUDE (a) FROM t").items.at(0).cls, "STAR_MODIFIED");
  EXPECT_FALSE(AnalyzeSelect(conn_, "SELEC 1").valid);
}

// A Hive-partitioned seed folder's layout: keys from the folders, bigint only when every value
// is an integer, and one clear error naming the path for each malformed layout.
TEST_F(CatalogTest, HiveLayoutsAndTheirErrors) {
  auto file = [&](const std::string& relative) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative) << "a\n1\n";
  };
  file("ok/dt=2026-12-01/hour=9/part-0.csv");
  file("ok/dt=2026-12-02/hour=10/part-0.csv");
  file("ok/dt=2026-12-02/hour=10/_SUCCESS");
  const HiveLayout ok = ReadHiveLayout(dir_ / "ok");
  EXPECT_EQ(ok.table, "ok");
  EXPECT_EQ(ok.keys, (std::vector<std::string>{"dt", "hour"}));
  EXPECT_EQ(ok.key_types, (std::vector<std::string>{"string", "bigint"}));
  EXPECT_EQ(ok.files.size(), 2u);
  EXPECT_TRUE(ok.csv);
  Exec(conn_, HiveTableSql(ok));
  RegisterPartitionedTable(conn_, "default", ok.table, {{"dt", "string"}, {"hour", "bigint"}});
  EXPECT_EQ(PartitionKeysOf(conn_, "default", "ok"), (std::vector<std::string>{"dt", "hour"}));
  const auto info = ReadTableInfo(conn_, "default", "ok", {});
  ASSERT_TRUE(info.has_value());
  ASSERT_EQ(info->columns.size(), 3u);
  EXPECT_EQ(info->columns[2].name + " " + info->columns[2].hive_type, "hour bigint");

  auto error_of = [&](const std::string& table) {
    try {
      ReadHiveLayout(dir_ / table);
    } catch (const std::runtime_error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  file("flat/part-0.csv");
  EXPECT_EQ(error_of("flat"),
            "Hive-partitioned seed folder: " + (dir_ / "flat/part-0.csv").string() +
                ": a data file must be inside partition folders "
                "'<key>=<value>/'");
  file("badname/2026-12-01/part-0.csv");
  EXPECT_EQ(error_of("badname"),
            "Hive-partitioned seed folder: " + (dir_ / "badname/2026-12-01").string() +
                ": folder '2026-12-01' is not a partition folder "
                "'<key>=<value>'");
  file("mixed/dt=1/a.csv");
  file("mixed/region=eu/b.csv");
  EXPECT_NE(error_of("mixed").find("its partition folders differ from the first file's"),
            std::string::npos);
  file("kinds/dt=1/a.csv");
  file("kinds/dt=1/b.json");
  EXPECT_EQ(error_of("kinds"),
            "Hive-partitioned seed folder: " + (dir_ / "kinds/dt=1/b.json").string() +
                ": not a data file (.csv or .parquet)");
  fs::create_directories(dir_ / "empty/dt=1");
  EXPECT_NE(error_of("empty").find("no .csv or .parquet files"), std::string::npos);
}

TEST(ResultColumnsTest, MapsOutputsToSelectItems) {
  SelectShape shape;
  shape.valid = true;
  shape.items = {{"COLUMN_REF", "", "a"}, {"STAR", "", ""}, {"FUNCTION", "f", ""}};
  EXPECT_EQ(MapOutputsToItems(shape, 5), (std::vector<int>{0, -1, -1, -1, 2}));
  EXPECT_EQ(MapOutputsToItems(shape, 1), (std::vector<int>{-2}));  // fewer outputs than items
  shape.items = {{"COLUMN_REF", "", "a"}, {"CONSTANT", "", ""}};
  EXPECT_EQ(MapOutputsToItems(shape, 2), (std::vector<int>{0, 1}));
  EXPECT_EQ(MapOutputsToItems(shape, 3), (std::vector<int>{-2, -2, -2}));
  shape.items = {{"STAR", "", ""}, {"STAR_MODIFIED", "", ""}};
  EXPECT_EQ(MapOutputsToItems(shape, 2), (std::vector<int>{-2, -2}));  // two stars
  shape.valid = false;
  EXPECT_EQ(MapOutputsToItems(shape, 1), (std::vector<int>{-2}));
}

}  // namespace
}  // namespace ac::emulator
