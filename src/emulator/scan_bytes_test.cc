// DataScannedInBytes: which columns of which tables a statement reads (DuckDB's plan), their
// stored sizes (measured once per table, forgotten when the table changes), and the engine
// reporting them, with the query log, for every statement that reads tables.

#include "emulator/scan_bytes.h"

#include <duckdb.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <utility>

#include "emulator/catalog.h"
#include "emulator/duckdb_exec.h"
#include "emulator/engine.h"
#include "emulator/query_log.h"
#include "emulator/sql_translate.h"

namespace ac::emulator {
namespace {

namespace fs = std::filesystem;

}  // namespace

// Readable failures: default.t{a, b}.
void PrintTo(const TableRead& read, std::ostream* out) {
  *out << read.database << "." << read.table << "{";
  const char* sep = "";
  for (const auto& c : read.columns) *out << std::exchange(sep, ", ") << c;
  *out << "}";
}

namespace {

fs::path TestDir(const std::string& kind) {
  const fs::path dir =
      fs::temp_directory_path() / (kind + "-" + std::to_string(::getpid()) + "-" +
                                   ::testing::UnitTest::GetInstance()->current_test_info()->name());
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// A database file named like the engine's (DuckDB catalog awsdatacatalog) with a wide table:
// 1000 rows of id (integer), narrow (varchar of 1 octet) and wide (varchar of 200 octets).
class ScanBytesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TestDir("scan-bytes-test");
    const std::string path = (dir_ / "awsdatacatalog.duckdb").string();
    ASSERT_EQ(duckdb_open(path.c_str(), &db_), DuckDBSuccess);
    ASSERT_EQ(duckdb_connect(db_, &conn_), DuckDBSuccess);
    CreateCatalogTables(conn_);
    UseDatabase(conn_, "default");
    Run("CREATE TABLE wide_rows (id int, narrow varchar, wide varchar)");
    Exec(conn_,
         "INSERT INTO \"default\".wide_rows SELECT i::INTEGER, 'n', repeat('w', 200) "
         "FROM range(1000) t(i)");
  }
  void TearDown() override {
    duckdb_disconnect(&conn_);
    duckdb_close(&db_);
    fs::remove_all(dir_);
  }
  // Athena SQL run as the engine runs DDL: DuckDB's statement, then the table's registration.
  void Run(const std::string& athena_sql) {
    const Statement st = TranslateStatement(athena_sql);
    Exec(conn_, st.duckdb_sql);
    if (st.kind == Statement::Kind::kCreateTable) {
      RegisterTable(conn_, st, st.database.empty() ? "default" : st.database);
    }
  }
  std::vector<TableRead> Reads(const std::string& athena_sql) {
    const ReadAnalysis analysis = AnalyzeReads(conn_, TranslateStatement(athena_sql).duckdb_sql);
    EXPECT_EQ(analysis.error, "") << athena_sql;
    return analysis.reads;
  }
  uint64_t Scanned(const std::string& athena_sql) {
    return cache_.BytesRead(conn_, Reads(athena_sql));
  }

  fs::path dir_;
  duckdb_database db_ = nullptr;
  duckdb_connection conn_ = nullptr;
  ScanSizeCache cache_;
};

constexpr uint64_t kId = 1000 * 4;      // integer: 4 bytes x 1000 rows
constexpr uint64_t kNarrow = 1000 * 1;  // 'n'
constexpr uint64_t kWide = 1000 * 200;  // 200 octets each

TEST_F(ScanBytesTest, ColumnsReadAreTheColumnsTheQueryUses) {
  EXPECT_EQ(Reads("SELECT id FROM wide_rows"),
            (std::vector<TableRead>{{"default", "wide_rows", {"id"}}}));
  // A filter's column is read too; Athena reads the whole column whatever the filter keeps.
  EXPECT_EQ(Reads("SELECT id FROM wide_rows WHERE narrow = 'x' AND id > 5"),
            (std::vector<TableRead>{{"default", "wide_rows", {"id", "narrow"}}}));
  // Columns a subquery's star exposes but nothing uses are not read.
  EXPECT_EQ(Reads("SELECT id FROM (SELECT * FROM wide_rows) AS q ORDER BY narrow"),
            (std::vector<TableRead>{{"default", "wide_rows", {"id", "narrow"}}}));
  // ... unless DuckDB's optimizer makes a plan it cannot serialize (a top-N with late
  // materialization): then every column the statement names, the star's included.
  EXPECT_EQ(Reads("SELECT id FROM (SELECT * FROM wide_rows) AS q ORDER BY narrow LIMIT 3"),
            (std::vector<TableRead>{{"default", "wide_rows", {"id", "narrow", "wide"}}}));
  EXPECT_EQ(Reads("SELECT id FROM wide_rows ORDER BY narrow LIMIT 3"),
            (std::vector<TableRead>{{"default", "wide_rows", {"id", "narrow"}}}));
  // count(*) reads no column.
  EXPECT_EQ(Reads("SELECT count(*) FROM wide_rows"),
            (std::vector<TableRead>{{"default", "wide_rows", {}}}));
  EXPECT_TRUE(Reads("SELECT 1").empty());
  EXPECT_TRUE(Reads("SELECT * FROM UNNEST(ARRAY[1, 2]) AS t(n)").empty());
}

TEST_F(ScanBytesTest, NarrowColumnScansFarLessThanStar) {
  const uint64_t id = Scanned("SELECT id FROM wide_rows");
  const uint64_t star = Scanned("SELECT * FROM wide_rows");
  EXPECT_EQ(id, kId);
  EXPECT_EQ(star, kId + kNarrow + kWide);
  EXPECT_LT(id * 50, star);
  EXPECT_EQ(Scanned("SELECT id, wide FROM wide_rows"), kId + kWide);
  EXPECT_EQ(Scanned("SELECT wide FROM wide_rows"), kWide);
  // A WHERE filter does not reduce what is read (no partition pruning), even one DuckDB's
  // statistics prove empty.
  EXPECT_EQ(Scanned("SELECT id FROM wide_rows WHERE id > 100000"), kId);
  EXPECT_EQ(Scanned("SELECT count(*) FROM wide_rows"), 0u);
}

TEST_F(ScanBytesTest, ViewsReadTheirBaseTablesColumns) {
  Run("CREATE VIEW all_rows AS SELECT * FROM wide_rows");
  Run("CREATE VIEW shouting AS SELECT id, upper(wide) AS loud FROM wide_rows");
  EXPECT_EQ(Scanned("SELECT id FROM all_rows"), kId);
  EXPECT_EQ(Scanned("SELECT * FROM all_rows"), kId + kNarrow + kWide);
  EXPECT_EQ(Reads("SELECT loud FROM shouting"),
            (std::vector<TableRead>{{"default", "wide_rows", {"wide"}}}));
  EXPECT_EQ(Scanned("SELECT loud FROM shouting"), kWide);
}

TEST_F(ScanBytesTest, JoinsReadEachTablesColumnsAcrossDatabases) {
  Exec(conn_, "CREATE SCHEMA other");
  Run("CREATE TABLE other.labels (id int, label varchar)");
  Exec(conn_, "INSERT INTO other.labels SELECT i::INTEGER, 'abc' FROM range(10) t(i)");
  // Same name in two databases: each is its own table.
  Run("CREATE TABLE other.wide_rows (id bigint)");
  Exec(conn_, "INSERT INTO other.wide_rows VALUES (1), (2)");
  const std::string join =
      "SELECT w.id, l.label FROM wide_rows w JOIN other.labels l ON w.id = l.id";
  EXPECT_EQ(Reads(join), (std::vector<TableRead>{{"default", "wide_rows", {"id"}},
                                                 {"other", "labels", {"id", "label"}}}));
  EXPECT_EQ(Scanned(join), kId + 10 * 4 + 10 * 3);
  EXPECT_EQ(Scanned("SELECT d.id FROM wide_rows d JOIN other.wide_rows o ON d.id = o.id"),
            kId + 2 * 8);
  // A branch DuckDB's statistics prove empty is still read, as Athena reads it.
  EXPECT_EQ(Scanned("SELECT id FROM other.labels WHERE id IN "
                    "(SELECT id FROM wide_rows WHERE narrow LIKE 'zz%')"),
            10 * 4 + kId + kNarrow);
}

TEST_F(ScanBytesTest, SizesAreCachedUntilTheTableChanges) {
  EXPECT_EQ(Scanned("SELECT narrow FROM wide_rows"), kNarrow);
  EXPECT_EQ(Scanned("SELECT id, narrow FROM wide_rows"), kId + kNarrow);
  EXPECT_EQ(cache_.measurements(), 1u);  // measured once
  Exec(conn_, "INSERT INTO \"default\".wide_rows VALUES (1000, 'nn', NULL)");
  // Still the cached sizes until the change is announced, as the engine does after an INSERT.
  EXPECT_EQ(Scanned("SELECT narrow FROM wide_rows"), kNarrow);
  cache_.Invalidate("DEFAULT", "Wide_Rows");
  EXPECT_EQ(Scanned("SELECT narrow FROM wide_rows"), kNarrow + 2);
  EXPECT_EQ(Scanned("SELECT wide FROM wide_rows"), kWide);  // NULL: no bytes
  EXPECT_EQ(Scanned("SELECT id FROM wide_rows"), kId + 4);
  EXPECT_EQ(cache_.measurements(), 2u);
  cache_.InvalidateDatabase("other");  // another database: kept
  EXPECT_EQ(Scanned("SELECT id FROM wide_rows"), kId + 4);
  EXPECT_EQ(cache_.measurements(), 2u);
  cache_.InvalidateDatabase("default");
  EXPECT_EQ(Scanned("SELECT id FROM wide_rows"), kId + 4);
  EXPECT_EQ(cache_.measurements(), 3u);
  cache_.InvalidateAll();
  EXPECT_EQ(Scanned("SELECT id FROM wide_rows"), kId + 4);
  EXPECT_EQ(cache_.measurements(), 4u);
}

TEST_F(ScanBytesTest, SizesOfEveryKindOfColumn) {
  Run("CREATE TABLE kinds (b boolean, s smallint, bi bigint, d double, dec decimal(10,2), "
      "wdec decimal(30,2), dt date, ts timestamp, bin varbinary, arr array<int>, "
      "m map<varchar,int>, r row(a int, b varchar))");
  Exec(conn_,
       "INSERT INTO \"default\".kinds VALUES (true, 1, 2, 1.5, 1.25, 2.5, DATE '2024-01-01', "
       "TIMESTAMP '2024-01-01 00:00:00', '\\x01\\x02'::BLOB, [1, 22], MAP {'k': 1}, "
       "{'a': 1, 'b': 'xy'}), (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "
       "NULL, NULL)");
  const TableSizes sizes = MeasureTable(conn_, "default", "kinds");
  ASSERT_EQ(sizes.partitions.size(), 1u);
  EXPECT_EQ(sizes.partitions[0].rows, 2u);
  const std::map<std::string, uint64_t> expected = {
      {"b", 1},
      {"s", 2},
      {"bi", 8},
      {"d", 8},
      {"dec", 8},
      {"wdec", 16},
      {"dt", 4},
      {"ts", 8},
      {"bin", 2},                                      // octets
      {"arr", 7},                                      // "[1, 22]"
      {"m", 5},                                        // "{k=1}"
      {"r", std::string("{'a': 1, 'b': xy}").size()},  // DuckDB's text of the struct
  };
  EXPECT_EQ(sizes.partitions[0].column_bytes, expected);
}

TEST_F(ScanBytesTest, PartitionedTablesAreMeasuredPerPartitionAndKeysCostNothing) {
  Run("CREATE EXTERNAL TABLE events (id int, payload varchar) PARTITIONED BY (dt string)");
  Exec(conn_,
       "INSERT INTO \"default\".events VALUES (1, 'aa', '2024-01-01'), (2, 'bbb', '2024-01-01'), "
       "(3, 'c', '2024-01-02'), (4, 'dd', NULL)");
  const TableSizes sizes = MeasureTable(conn_, "default", "events");
  EXPECT_EQ(sizes.partition_keys, (std::vector<std::string>{"dt"}));
  ASSERT_EQ(sizes.partitions.size(), 3u);
  EXPECT_EQ(sizes.partitions[0].values, (std::vector<std::string>{"2024-01-01"}));
  EXPECT_EQ(sizes.partitions[0].rows, 2u);
  EXPECT_EQ(sizes.partitions[0].column_bytes,
            (std::map<std::string, uint64_t>{{"id", 8}, {"payload", 5}}));
  EXPECT_EQ(sizes.partitions[2].values, (std::vector<std::string>{"__HIVE_DEFAULT_PARTITION__"}));
  EXPECT_EQ(sizes.BytesOf({"id", "payload", "dt"}), 4 * 4 + 8u);
  EXPECT_EQ(Scanned("SELECT dt FROM events"), 0u);
  // Pruned: only partition 2024-01-02's payload ('c') is read.
  EXPECT_EQ(Scanned("SELECT payload FROM events WHERE dt = '2024-01-02'"), 1u);
}

// events: 5 daily partitions of 10 rows, id (4 octets) and payload ('xxxx', 4 octets) each.
constexpr uint64_t kDay = 10 * 4 + 10 * 4;

TEST_F(ScanBytesTest, PartitionPruningBillsOnlyThePartitionsThePredicatesSelect) {
  Run("CREATE EXTERNAL TABLE events (id int, payload varchar) PARTITIONED BY (dt string)");
  Exec(conn_,
       "INSERT INTO \"default\".events SELECT i::INTEGER, 'xxxx', "
       "strftime(DATE '2026-12-01' + (i // 10)::INTEGER, '%Y-%m-%d') FROM range(50) t(i)");
  const std::string star = "SELECT id, payload FROM events";
  EXPECT_EQ(Scanned(star), 5 * kDay);
  EXPECT_EQ(Scanned(star + " WHERE dt = '2026-12-03'"), kDay);
  EXPECT_EQ(Scanned(star + " WHERE dt > '2026-12-03'"), 2 * kDay);
  EXPECT_EQ(Scanned(star + " WHERE dt >= '2026-12-03'"), 3 * kDay);
  EXPECT_EQ(Scanned(star + " WHERE dt < '2026-12-02'"), kDay);
  EXPECT_EQ(Scanned(star + " WHERE dt <= '2026-12-02'"), 2 * kDay);
  EXPECT_EQ(Scanned(star + " WHERE dt BETWEEN '2026-12-02' AND '2026-12-04'"), 3 * kDay);
  EXPECT_EQ(Scanned(star + " WHERE dt IN ('2026-12-01', '2026-12-05')"), 2 * kDay);
  EXPECT_EQ(Scanned(star + " WHERE dt = '2026-12-01' OR dt = '2026-12-02'"), 2 * kDay);
  // With other predicates (the columns they read count, in the selected partitions only).
  EXPECT_EQ(Scanned("SELECT payload FROM events WHERE dt = '2026-12-03' AND id > 3"), kDay);
  EXPECT_EQ(Scanned("SELECT payload FROM events WHERE id > 3 AND dt >= '2026-12-04' AND "
                    "payload <> 'y'"),
            2 * kDay);
  // Each scan of the table reads its own partitions; the table is billed for their union.
  EXPECT_EQ(Scanned("SELECT id FROM events WHERE dt = '2026-12-01' UNION ALL "
                    "SELECT id FROM events WHERE dt = '2026-12-02'"),
            2 * 40u);
  // A view's filter prunes like the query's.
  Run("CREATE VIEW first_days AS SELECT * FROM events WHERE dt < '2026-12-03'");
  EXPECT_EQ(Scanned("SELECT id, payload FROM first_days"), 2 * kDay);
  // What cannot be proven to exclude a partition reads it: a function of the key, an OR with
  // another column.
  EXPECT_EQ(Scanned(star + " WHERE substr(dt, 9, 2) = '03'"), 5 * kDay);
  EXPECT_EQ(Scanned(star + " WHERE dt = '2026-12-01' OR id = 42"), 5 * kDay);
  // The key costs nothing; count(*) reads no column.
  EXPECT_EQ(Scanned("SELECT dt FROM events WHERE dt = '2026-12-01'"), 0u);
  EXPECT_EQ(Scanned("SELECT count(*) FROM events WHERE dt = '2026-12-01'"), 0u);
}

TEST_F(ScanBytesTest, PartitionPruningOnIntegerAndDateKeysAndTheDefaultPartition) {
  Run("CREATE EXTERNAL TABLE hits (n int) PARTITIONED BY (hour bigint, day date)");
  Exec(conn_,
       "INSERT INTO \"default\".hits VALUES (1, 9, DATE '2026-01-01'), (2, 10, DATE "
       "'2026-01-01'), (3, 10, DATE '2026-01-02'), (4, NULL, DATE '2026-01-02')");
  EXPECT_EQ(Scanned("SELECT n FROM hits"), 16u);
  // Integers compare as numbers ('9' < '10'), not as text.
  EXPECT_EQ(Scanned("SELECT n FROM hits WHERE hour >= 10"), 8u);
  EXPECT_EQ(Scanned("SELECT n FROM hits WHERE hour < 10"), 4u);
  EXPECT_EQ(Scanned("SELECT n FROM hits WHERE day = DATE '2026-01-02'"), 8u);
  EXPECT_EQ(Scanned("SELECT n FROM hits WHERE day = DATE '2026-01-02' AND hour = 10"), 4u);
  // The default partition (NULL key) matches no comparison. DuckDB does not push IS [NOT] NULL
  // down into the scan: those read every partition.
  EXPECT_EQ(Scanned("SELECT n FROM hits WHERE hour > 0"), 12u);
  EXPECT_EQ(Scanned("SELECT n FROM hits WHERE hour IS NULL"), 16u);
}

TEST(PartitionFilterTest, TableFiltersAsDuckDbSerializesThem) {
  using json = nlohmann::json;
  auto varchar = [](const char* v) {
    return json{
        {"type", {{"id", "VARCHAR"}, {"type_info", nullptr}}}, {"is_null", false}, {"value", v}};
  };
  const json between = {
      {"filter_type", "CONJUNCTION_AND"},
      {"child_filters", json::array({{{"filter_type", "CONSTANT_COMPARISON"},
                                      {"comparison_type", "COMPARE_GREATERTHANOREQUALTO"},
                                      {"constant", varchar("b")}},
                                     {{"filter_type", "CONSTANT_COMPARISON"},
                                      {"comparison_type", "COMPARE_LESSTHANOREQUALTO"},
                                      {"constant", varchar("d")}}})}};
  const ColumnPredicate p = PredicateOfTableFilter(between);
  EXPECT_FALSE(MayMatch(p, std::string("a")));
  EXPECT_TRUE(MayMatch(p, std::string("b")));
  EXPECT_TRUE(MayMatch(p, std::string("d")));
  EXPECT_FALSE(MayMatch(p, std::string("e")));
  EXPECT_FALSE(MayMatch(p, std::nullopt));
  const json in = {
      {"filter_type", "OPTIONAL_FILTER"},
      {"child_filter", {{"filter_type", "IN_FILTER"}, {"values", json::array({varchar("x")})}}}};
  EXPECT_TRUE(MayMatch(PredicateOfTableFilter(in), std::string("x")));
  EXPECT_FALSE(MayMatch(PredicateOfTableFilter(in), std::string("y")));
  // Shapes it does not read may match anything.
  EXPECT_TRUE(
      MayMatch(PredicateOfTableFilter({{"filter_type", "EXPRESSION_FILTER"}}), std::string("y")));
  EXPECT_TRUE(MayMatch(PredicateOfTableFilter({{"filter_type", "DYNAMIC_FILTER"}}), std::nullopt));
  // Keys name columns by their index into the scan's names.
  const ScanFilters filters = FiltersOfScan(
      {{"filters", json::array({{{"key", 1}, {"value", between}}})}}, json::array({"a", "dt"}));
  ASSERT_EQ(filters.count("dt"), 1u);
  EXPECT_TRUE(PartitionRead({filters}, {"dt"}, {std::string("c")}));
  EXPECT_FALSE(PartitionRead({filters}, {"dt"}, {std::string("z")}));
  EXPECT_TRUE(PartitionRead({filters, ScanFilters{}}, {"dt"}, {std::string("z")}));
  EXPECT_TRUE(PartitionRead({}, {"dt"}, {std::string("z")}));
}

TEST_F(ScanBytesTest, PlansDuckDbCannotMakeAreReportedNotGuessed) {
  const ReadAnalysis missing = AnalyzeReads(conn_, "SELECT nope FROM wide_rows");
  EXPECT_TRUE(missing.reads.empty());
  EXPECT_NE(missing.error.find("nope"), std::string::npos) << missing.error;
  EXPECT_THROW(ScansOfPlan("not json"), std::runtime_error);
  EXPECT_THROW(ScansOfPlan(R"({"plans": []})"), std::runtime_error);
  try {
    ScansOfPlan(R"({"error": true, "error_message": "Operator X does not support serialization"})");
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "Operator X does not support serialization");
  }
}

TEST(MergeScansTest, OptimizedColumnsUnlessTheOptimizerDroppedAScan) {
  const std::vector<TableRead> bound = {
      {"d", "t", {"a", "b", "c"}}, {"d", "u", {"x"}}, {"d", "u", {"y"}}};
  // The optimizer pruned t's unused columns and kept both scans of u, one narrower.
  std::vector<TableRead> optimized = {{"d", "t", {"a"}}, {"d", "u", {"x"}}, {"d", "u", {}}};
  EXPECT_EQ(MergeScans(bound, &optimized),
            (std::vector<TableRead>{{"d", "t", {"a"}}, {"d", "u", {"x"}}}));
  // It dropped a scan of u: u's bound columns.
  optimized = {{"d", "t", {"a"}}, {"d", "u", {"x"}}};
  EXPECT_EQ(MergeScans(bound, &optimized),
            (std::vector<TableRead>{{"d", "t", {"a"}}, {"d", "u", {"x", "y"}}}));
  // No optimized plan: bound columns.
  EXPECT_EQ(MergeScans(bound, nullptr),
            (std::vector<TableRead>{{"d", "t", {"a", "b", "c"}}, {"d", "u", {"x", "y"}}}));
}

// ---- the engine: Statistics.DataScannedInBytes and the query log ------------------------------

/// An Engine over a temporary folder, and queries run to their end.
class EngineTestBase : public ::testing::Test {
 protected:
  void TearDown() override {
    engine_.reset();
    fs::remove_all(dir_);
  }
  QueryExecutionInfo RunQuery(const std::string& sql, std::vector<std::string> params = {}) {
    StartQueryRequest request;
    request.query = sql;
    request.execution_parameters = std::move(params);
    request.client_request_token = "token-" + std::to_string(++tokens_) + std::string(32, 'x');
    const std::string id = engine_->StartQuery(request);
    auto info = engine_->WaitFinished(id, std::chrono::seconds(60));
    if (!info) throw std::runtime_error("query " + id + " did not finish");
    return *info;
  }

  fs::path dir_;
  std::unique_ptr<Engine> engine_;
  int tokens_ = 0;
};

class EngineScanTest : public EngineTestBase {
 protected:
  void SetUp() override {
    dir_ = TestDir("engine-scan-test");
    const fs::path seed = dir_ / "seed.sql";
    std::ofstream(seed) << "CREATE TABLE wide_rows (id int, narrow varchar, wide varchar);\n"
                           "INSERT INTO wide_rows SELECT CAST(i AS integer), 'n', "
                           "repeat('w', 200) FROM range(1000) t(i);\n";
    EngineOptions options;
    options.data_dir = dir_ / "data";
    options.workers = 2;
    options.workgroup_output_location = "s3://results/";
    options.query_log = dir_ / "queries.jsonl";
    engine_ = std::make_unique<Engine>(options);
    engine_->Seed(seed);
  }
  std::vector<nlohmann::json> LogLines() {
    std::ifstream in(dir_ / "queries.jsonl");
    std::vector<nlohmann::json> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }
};

TEST_F(EngineScanTest, QueriesReportTheBytesOfTheColumnsTheyRead) {
  const QueryExecutionInfo id = RunQuery("SELECT id FROM wide_rows");
  const QueryExecutionInfo star = RunQuery("SELECT * FROM wide_rows");
  ASSERT_EQ(id.state, "SUCCEEDED") << id.state_change_reason;
  ASSERT_EQ(star.state, "SUCCEEDED") << star.state_change_reason;
  EXPECT_EQ(id.data_scanned_bytes, kId);
  EXPECT_EQ(star.data_scanned_bytes, kId + kNarrow + kWide);

  // INSERT ... SELECT reads its source; the table's sizes are measured again afterwards.
  const QueryExecutionInfo insert =
      RunQuery("INSERT INTO wide_rows SELECT id + 1000, narrow, narrow FROM wide_rows");
  ASSERT_EQ(insert.state, "SUCCEEDED") << insert.state_change_reason;
  EXPECT_EQ(insert.data_scanned_bytes, kId + kNarrow);
  EXPECT_EQ(RunQuery("SELECT wide FROM wide_rows").data_scanned_bytes, kWide + kNarrow);

  // CTAS and UNLOAD read what their query reads.
  const QueryExecutionInfo ctas =
      RunQuery("CREATE TABLE narrow_copy AS SELECT narrow FROM wide_rows");
  ASSERT_EQ(ctas.state, "SUCCEEDED") << ctas.state_change_reason;
  EXPECT_EQ(ctas.data_scanned_bytes, 2 * kNarrow);
  EXPECT_EQ(RunQuery("SELECT * FROM narrow_copy").data_scanned_bytes, 2 * kNarrow);
  const QueryExecutionInfo unload = RunQuery(
      "UNLOAD (SELECT id FROM wide_rows) TO 's3://results/unload/' WITH (format = 'PARQUET')");
  ASSERT_EQ(unload.state, "SUCCEEDED") << unload.state_change_reason;
  EXPECT_EQ(unload.data_scanned_bytes, 2 * kId);

  // ALTER TABLE and DROP forget the sizes too.
  ASSERT_EQ(RunQuery("ALTER TABLE narrow_copy ADD COLUMNS (extra bigint)").state, "SUCCEEDED");
  EXPECT_EQ(RunQuery("SELECT extra FROM narrow_copy").data_scanned_bytes, 0u);
  ASSERT_EQ(RunQuery("DROP TABLE narrow_copy").state, "SUCCEEDED");
  ASSERT_EQ(RunQuery("CREATE TABLE narrow_copy AS SELECT id FROM wide_rows WHERE id < 10").state,
            "SUCCEEDED");
  EXPECT_EQ(RunQuery("SELECT * FROM narrow_copy").data_scanned_bytes, 10 * 4u);

  // DDL and utility statements scan nothing.
  EXPECT_EQ(RunQuery("SHOW TABLES").data_scanned_bytes, 0u);
}

TEST_F(EngineScanTest, QueryLogHasOneLinePerFinishedExecution) {
  const QueryExecutionInfo narrow = RunQuery("SELECT narrow FROM wide_rows WHERE id = ?", {"7"});
  const QueryExecutionInfo failed = RunQuery("SELECT nope FROM wide_rows");
  ASSERT_EQ(failed.state, "FAILED");
  const std::vector<nlohmann::json> lines = LogLines();
  ASSERT_EQ(lines.size(), 2u);
  const nlohmann::json& first = lines[0];
  EXPECT_EQ(first["id"], narrow.id);
  EXPECT_EQ(first["sql"], "SELECT narrow FROM wide_rows WHERE id = ?");  // before substitution
  EXPECT_EQ(first["execution_parameters"], nlohmann::json::array({"7"}));
  EXPECT_EQ(first["catalog"], "AwsDataCatalog");
  EXPECT_EQ(first["database"], "default");
  EXPECT_EQ(first["workgroup"], "primary");
  EXPECT_EQ(first["state"], "SUCCEEDED");
  EXPECT_EQ(first["statement_type"], "DML");
  EXPECT_EQ(first["data_scanned_bytes"], narrow.data_scanned_bytes);
  EXPECT_EQ(first["data_scanned_bytes"], kId + kNarrow);
  EXPECT_EQ(first["submitted_at"], IsoTime(narrow.submission_time));
  EXPECT_EQ(first["completed_at"], IsoTime(narrow.completion_time));
  EXPECT_EQ(lines[1]["state"], "FAILED");
  EXPECT_FALSE(lines[1].contains("execution_parameters"));
  EXPECT_NE(lines[1]["error"].get<std::string>().find("nope"), std::string::npos);
}

// ---- a Hive-partitioned seed folder: catalog, partition listing, pruning, the cutoff ----------

// sales/dt=2026-12-0{1,2,3}/region={eu,us}/part-0.csv written by DuckDB's COPY ... PARTITION_BY as
// Parquet: 60 rows, id (integer) and amount (double) each, 10 rows per partition.
class PartitionedSeedTest : public EngineTestBase {
 protected:
  void SetUp() override {
    dir_ = TestDir("partitioned-seed-test");
    fs::create_directories(dir_ / "seed");
    duckdb_database db = nullptr;
    duckdb_connection conn = nullptr;
    ASSERT_EQ(duckdb_open(nullptr, &db), DuckDBSuccess);
    ASSERT_EQ(duckdb_connect(db, &conn), DuckDBSuccess);
    Exec(conn,
         "COPY (SELECT i::INTEGER AS id, (i * 1.5)::DOUBLE AS amount, "
         "strftime(DATE '2026-12-01' + (i // 20)::INTEGER, '%Y-%m-%d') AS dt, "
         "CASE WHEN i % 20 < 10 THEN 'eu' ELSE 'us' END AS region FROM range(60) t(i)) "
         "TO " +
             QuoteLiteral((dir_ / "seed" / "sales").string()) +
             " (FORMAT parquet, PARTITION_BY (dt, region))");
    duckdb_disconnect(&conn);
    duckdb_close(&db);
    // hits/hour=N/part-0.csv: an integer key; and a plain CSV table next to them.
    for (int hour : {7, 8, 10}) {
      fs::create_directories(dir_ / "seed" / "hits" / ("hour=" + std::to_string(hour)));
      std::ofstream(dir_ / "seed" / "hits" / ("hour=" + std::to_string(hour)) / "part-0.csv")
          << "page,ms\n/a,1\n/b,2\n";
    }
    std::ofstream(dir_ / "seed" / "plain.csv") << "x\n1\n";
    EngineOptions options;
    options.data_dir = dir_ / "data";
    options.workers = 2;
    options.workgroup_output_location = "s3://results/";
    options.bytes_scanned_cutoff = kMinBytesScannedCutoff;
    engine_ = std::make_unique<Engine>(options);
    engine_->Seed(dir_ / "seed");
  }
  // The result file of a finished query, whole.
  std::string Result(const QueryExecutionInfo& info) {
    std::ifstream in(engine_->buckets().ObjectPath(info.result_bucket, info.result_key));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  std::map<std::string, std::string> Parameters(const TableInfo& table) {
    return {table.parameters.begin(), table.parameters.end()};
  }
};

constexpr uint64_t kSalesPartition = 10 * 4 + 10 * 8;  // id + amount of one partition

TEST_F(PartitionedSeedTest, FolderBecomesAPartitionedTableInTheCatalog) {
  const auto sales = engine_->GetTable("default", "sales");
  ASSERT_TRUE(sales.has_value());
  std::vector<std::string> columns, keys;
  for (const auto& c : sales->columns) {
    (c.partition_key ? keys : columns).push_back(c.name + " " + c.hive_type);
  }
  EXPECT_EQ(columns, (std::vector<std::string>{"id int", "amount double"}));
  EXPECT_EQ(keys, (std::vector<std::string>{"dt string", "region string"}));
  // Columns, then the partition keys, as SELECT * gives them.
  EXPECT_EQ(sales->columns.back().name, "region");
  EXPECT_EQ(Parameters(*sales)["recordCount"], "60");
  EXPECT_EQ(Parameters(*sales)["sizeKey"], std::to_string(6 * kSalesPartition));
  const auto hits = engine_->GetTable("default", "hits");
  ASSERT_TRUE(hits.has_value());
  EXPECT_EQ(hits->columns.back().name + " " + hits->columns.back().hive_type, "hour bigint");
  EXPECT_TRUE(hits->columns.back().partition_key);
  EXPECT_TRUE(engine_->GetTable("default", "plain").has_value());
  const QueryExecutionInfo star = RunQuery("SELECT * FROM sales ORDER BY id LIMIT 1");
  ASSERT_EQ(star.state, "SUCCEEDED") << star.state_change_reason;
  EXPECT_EQ(Result(star),
            "\"id\",\"amount\",\"dt\",\"region\"\n\"0\",\"0.0\",\"2026-12-01\",\"eu\"\n");
}

TEST_F(PartitionedSeedTest, PartitionsTableAndShowPartitionsListThemForFree) {
  const QueryExecutionInfo table =
      RunQuery("SELECT * FROM \"default\".\"sales$partitions\" ORDER BY dt, region");
  ASSERT_EQ(table.state, "SUCCEEDED") << table.state_change_reason;
  EXPECT_EQ(table.data_scanned_bytes, 0u);
  EXPECT_EQ(Result(table),
            "\"dt\",\"region\"\n\"2026-12-01\",\"eu\"\n\"2026-12-01\",\"us\"\n"
            "\"2026-12-02\",\"eu\"\n\"2026-12-02\",\"us\"\n\"2026-12-03\",\"eu\"\n"
            "\"2026-12-03\",\"us\"\n");
  const QueryExecutionInfo typed =
      RunQuery("SELECT max(p.hour) + 1 AS nxt FROM \"hits$partitions\" p");
  ASSERT_EQ(typed.state, "SUCCEEDED") << typed.state_change_reason;
  EXPECT_EQ(Result(typed), "\"nxt\"\n\"11\"\n");  // a bigint key is a number
  const QueryExecutionInfo show = RunQuery("SHOW PARTITIONS sales");
  ASSERT_EQ(show.state, "SUCCEEDED") << show.state_change_reason;
  EXPECT_EQ(show.data_scanned_bytes, 0u);
  EXPECT_EQ(Result(show),
            "dt=2026-12-01/region=eu\ndt=2026-12-01/region=us\ndt=2026-12-02/region=eu\n"
            "dt=2026-12-02/region=us\ndt=2026-12-03/region=eu\ndt=2026-12-03/region=us\n");
  const QueryExecutionInfo unpartitioned = RunQuery("SELECT * FROM \"plain$partitions\"");
  EXPECT_EQ(unpartitioned.state, "FAILED");
  EXPECT_EQ(unpartitioned.state_change_reason,
            "TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.default.plain$partitions' does not "
            "exist");
  EXPECT_EQ(RunQuery("SHOW PARTITIONS plain").state, "FAILED");
}

TEST_F(PartitionedSeedTest, PrunedScansWithLiteralsParametersAndUnload) {
  EXPECT_EQ(RunQuery("SELECT id, amount FROM sales").data_scanned_bytes, 6 * kSalesPartition);
  EXPECT_EQ(RunQuery("SELECT id, amount FROM sales WHERE dt = '2026-12-02'").data_scanned_bytes,
            2 * kSalesPartition);
  const QueryExecutionInfo param = RunQuery(
      "SELECT id, amount FROM sales WHERE dt >= ? AND region = ?", {"'2026-12-02'", "'us'"});
  ASSERT_EQ(param.state, "SUCCEEDED") << param.state_change_reason;
  EXPECT_EQ(param.data_scanned_bytes, 2 * kSalesPartition);
  const QueryExecutionInfo unload = RunQuery(
      "UNLOAD (SELECT id FROM sales WHERE dt BETWEEN '2026-12-02' AND '2026-12-03' AND region "
      "IN ('eu')) TO 's3://results/unload/' WITH (format = 'PARQUET')");
  ASSERT_EQ(unload.state, "SUCCEEDED") << unload.state_change_reason;
  EXPECT_EQ(unload.data_scanned_bytes, 2 * 10 * 4u);
  EXPECT_EQ(RunQuery("SELECT ms FROM hits WHERE hour > 7").data_scanned_bytes, 2 * 2 * 8u);
}

TEST(BytesScannedCutoffTest, AQueryAboveTheCutoffFailsAsAthenaReportsIt) {
  const fs::path dir = TestDir("cutoff-test");
  std::ofstream(dir / "seed.sql") << "CREATE TABLE big AS SELECT repeat('x', 1000) AS s FROM "
                                     "range(11000) t(i);\n";
  EngineOptions options;
  options.data_dir = dir / "data";
  options.workgroup_output_location = "s3://results/";
  options.bytes_scanned_cutoff = kMinBytesScannedCutoff;
  {
    Engine engine(options);
    engine.Seed(dir / "seed.sql");
    StartQueryRequest request;
    request.query = "SELECT s FROM big";
    request.client_request_token = std::string(40, 'c');
    auto info = engine.WaitFinished(engine.StartQuery(request), std::chrono::seconds(60));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->state, "FAILED");
    EXPECT_EQ(info->state_change_reason, "Bytes scanned limit was exceeded");
    ASSERT_TRUE(info->error.has_value());
    EXPECT_EQ(info->error->category, 2);
    EXPECT_EQ(info->data_scanned_bytes, kMinBytesScannedCutoff);
    request.query = "SELECT s FROM big LIMIT 0";  // the same column: still over
    request.client_request_token = std::string(40, 'd');
    EXPECT_EQ(engine.WaitFinished(engine.StartQuery(request), std::chrono::seconds(60))->state,
              "FAILED");
  }
  fs::remove_all(dir);
}

TEST(QueryLogTest, TimesAreIsoUtcWithMilliseconds) {
  const TimePoint t =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1706706855678));
  EXPECT_EQ(IsoTime(t), "2024-01-31T13:14:15.678Z");
  EXPECT_EQ(IsoTime(TimePoint{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(IsoTime(TimePoint{} - std::chrono::milliseconds(1)), "1969-12-31T23:59:59.999Z");
}

TEST(QueryLogTest, AnUnwritablePathIsOneClearError) {
  try {
    QueryLog log("/nonexistent-dir/queries.jsonl");
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              "cannot open query log /nonexistent-dir/queries.jsonl: No such file or directory");
  }
}

}  // namespace
}  // namespace ac::emulator
