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
  EXPECT_EQ(Scanned("SELECT payload FROM events WHERE dt = '2024-01-02'"), 8u);
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

class EngineScanTest : public ::testing::Test {
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
  std::vector<nlohmann::json> LogLines() {
    std::ifstream in(dir_ / "queries.jsonl");
    std::vector<nlohmann::json> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
    return lines;
  }

  fs::path dir_;
  std::unique_ptr<Engine> engine_;
  int tokens_ = 0;
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
