// End-to-end: `tables` = `*` discovers every table and view of a database from the catalog; the
// selection (debug's --tables / --exclude-columns) decides what is queried and which columns the
// SQL names; keyless tables are identified by `_fivetran_id`. Real binaries against athena-local;
// athena-local's query log shows every query it ran.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/test_support.h"
#include "warehouse/duckdb_warehouse.h"

namespace ac::testing {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kPrimaryKeys =
    R"({"order_lines": ["order_id", "line_no"], "group": ["from"], "empty_table": ["id"],)"
    R"( "profiles": "id"})";

class DiscoveryE2eTest : public ::testing::Test {
 protected:
  DiscoveryE2eTest()
      : athena_({.seeds = {(SourceDir() / "examples" / "local").string(),
                           (SourceDir() / "tests" / "data" / "catalog").string()},
                 .extra_args = {"--query-log", (dir_.path() / "queries.jsonl").string()}}) {}

  std::filesystem::path Configure(std::map<std::string, std::string> overrides = {}) {
    overrides.emplace("database_name", "shop");
    overrides.emplace("tables", "*");
    overrides.emplace("primary_keys", kPrimaryKeys);
    overrides.emplace("source_table", "");
    overrides.emplace("destination_table", "");
    overrides.emplace("primary_key", "");
    return athena_.WriteConfiguration(dir_.path(), overrides);
  }

  ProcessResult Debug(const std::filesystem::path& work, std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {
        ConnectorBinary(), "debug",
        "--configuration", (dir_.path() / "configuration.json").string(),
        "--working-dir",   work.string(),
        "--no-progress"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return RunProcess(argv);
  }

  /// Every query athena-local ran (its query log), in order.
  std::vector<json> QueryLog() const {
    std::vector<json> entries;
    std::ifstream in(dir_.path() / "queries.jsonl");
    for (std::string line; std::getline(in, line);) {
      if (!line.empty()) entries.push_back(json::parse(line));
    }
    return entries;
  }
  /// The SQL of every query athena-local ran, in order.
  std::vector<std::string> QueriesRun() const {
    std::vector<std::string> sql;
    for (const auto& entry : QueryLog()) sql.push_back(entry["sql"].get<std::string>());
    return sql;
  }

  static warehouse::QueryResult Query(const std::filesystem::path& work, const std::string& sql) {
    warehouse::WarehouseOptions options;
    options.working_dir = work;
    warehouse::DuckDbWarehouse warehouse(options);
    return warehouse.Query(sql);
  }
  static std::string One(const std::filesystem::path& work, const std::string& sql) {
    const auto result = Query(work, sql);
    return result.rows.at(0).at(0).value_or("<NULL>");
  }

  TempDir dir_;
  AthenaLocal athena_;
};

TEST_F(DiscoveryE2eTest, EveryTableAndViewIsSyncedWithKeysOrFivetranIdsAndOneQueryEach) {
  Configure();
  const auto work = dir_.path() / "files";
  const ProcessResult run = Debug(work);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err << athena_.log();
  EXPECT_THAT(run.out, HasSubstr("Sync SUCCEEDED"));

  EXPECT_EQ(One(work, "SELECT count(*) FROM tester.events"), "1000");
  EXPECT_EQ(One(work, "SELECT count(DISTINCT _fivetran_id) FROM tester.events"), "1000");
  EXPECT_EQ(One(work, "SELECT count(*) FROM tester.order_lines"), "2000");
  EXPECT_EQ(One(work, "SELECT count(*) FROM tester.big_lines"),
            One(work, "SELECT count(*) FROM tester.order_lines WHERE qty >= 7"));
  EXPECT_EQ(One(work, "SELECT count(*) FROM tester.\"group\""), "3");
  EXPECT_EQ(One(work, "SELECT \"Mixed Case\" FROM tester.\"group\" WHERE \"from\" = 3"), "-2.25");
  EXPECT_EQ(One(work, "SELECT count(*) FROM tester.empty_table"), "0");
  EXPECT_EQ(One(work, "SELECT count(*) FROM tester.profiles"), "3");
  EXPECT_EQ(One(work, "SELECT tags FROM tester.profiles WHERE id = 1"), "[\"a\",\"b\"]");

  // Keys as configured: composite key on order_lines; keyless tables keyed by _fivetran_id.
  const auto key = Query(work,
                         "SELECT constraint_column_names FROM duckdb_constraints() WHERE "
                         "schema_name = 'tester' AND table_name = 'order_lines' AND "
                         "constraint_type = 'PRIMARY KEY'");
  ASSERT_EQ(key.rows.size(), 1u);
  EXPECT_EQ(key.rows[0][0].value_or(""), "[order_id, line_no]");

  // Exactly one query per table: no setup-test query, no LIMIT 0 discovery query.
  const std::vector<std::string> queries = QueriesRun();
  EXPECT_EQ(queries.size(), 6u) << ::testing::PrintToString(queries);
  for (const auto& sql : queries) EXPECT_THAT(sql, Not(HasSubstr("LIMIT 0")));

  // A re-sync of keyless tables does not duplicate rows.
  const ProcessResult again = Debug(work);
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_EQ(One(work, "SELECT count(*) FROM tester.events"), "1000");
  EXPECT_EQ(One(work, "SELECT count(*) FROM tester.events WHERE NOT _fivetran_deleted"), "1000");
  EXPECT_EQ(One(work, "SELECT count(*) FROM tester.big_lines WHERE NOT _fivetran_deleted"),
            One(work, "SELECT count(*) FROM tester.order_lines WHERE qty >= 7"));
}

TEST_F(DiscoveryE2eTest, DeselectedTablesAreNeverQueriedAndDeselectedColumnsNeverNamed) {
  Configure();
  const auto work = dir_.path() / "files";
  const ProcessResult run =
      Debug(work, {"--tables", "order_lines,events", "--exclude-columns", "order_lines.notes"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err << athena_.log();

  const std::vector<std::string> queries = QueriesRun();
  ASSERT_EQ(queries.size(), 2u) << ::testing::PrintToString(queries);
  for (const auto& sql : queries) {
    EXPECT_THAT(sql, Not(HasSubstr("notes")));
    EXPECT_THAT(sql, Not(HasSubstr("profiles")));
    EXPECT_THAT(sql, Not(HasSubstr("group")));
  }
  EXPECT_THAT(queries,
              ::testing::Contains(HasSubstr(
                  R"(SELECT "order_id", "line_no", "sku", "qty" FROM "shop"."order_lines")")));
  const auto columns = Query(work,
                             "SELECT column_name FROM information_schema.columns WHERE "
                             "table_schema = 'tester' AND table_name = 'order_lines'");
  for (const auto& row : columns.rows) EXPECT_NE(row[0].value_or(""), "notes");
  const auto tables = Query(work,
                            "SELECT table_name FROM information_schema.tables WHERE "
                            "table_schema = 'tester' ORDER BY table_name");
  ASSERT_EQ(tables.rows.size(), 2u);
  EXPECT_EQ(tables.rows[0][0].value_or(""), "events");
  EXPECT_EQ(tables.rows[1][0].value_or(""), "order_lines");

  // What the deselected column saves: Athena bills the bytes of the columns a query reads.
  const ProcessResult full = Debug(dir_.path() / "full", {"--tables", "order_lines"});
  ASSERT_EQ(full.exit_code, 0) << full.out << full.err;
  const std::vector<json> log = QueryLog();
  ASSERT_EQ(log.size(), 3u);
  const int64_t without_notes = log[1]["data_scanned_bytes"].get<int64_t>();
  const int64_t with_notes = log[2]["data_scanned_bytes"].get<int64_t>();
  EXPECT_EQ(log[2]["sql"], R"(SELECT * FROM "shop"."order_lines")");
  EXPECT_GT(without_notes, 0);
  EXPECT_GT(with_notes, 10 * without_notes) << without_notes << " vs " << with_notes;
}

TEST_F(DiscoveryE2eTest, SeveralDatabasesAreOneSchemaEach) {
  Configure({{"database_name", "shop, default"},
             {"primary_keys", R"({"shop.order_lines": ["order_id", "line_no"],)"
                              R"( "test_rows": ["customer_id"]})"}});
  const auto work = dir_.path() / "files";
  const ProcessResult run = Debug(work, {"--tables", "shop.order_lines,default.test_rows"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err << athena_.log();
  EXPECT_EQ(One(work, "SELECT count(*) FROM shop.order_lines"), "2000");
  EXPECT_EQ(One(work, "SELECT count(*) FROM \"default\".test_rows"), "300");
  const auto keys = Query(work,
                          "SELECT schema_name, table_name, constraint_column_names FROM "
                          "duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
                          "ORDER BY schema_name");
  ASSERT_EQ(keys.rows.size(), 2u);
  EXPECT_EQ(keys.rows[0][0].value_or(""), "default");
  EXPECT_EQ(keys.rows[0][2].value_or(""), "[customer_id]");
  EXPECT_EQ(keys.rows[1][0].value_or(""), "shop");
  const json state = json::parse(ReadFile(work / "state.json"));
  EXPECT_EQ(state["tables"]["shop.order_lines"]["status"], "complete") << state.dump();
  EXPECT_EQ(state["tables"]["default.test_rows"]["status"], "complete") << state.dump();
  EXPECT_EQ(QueriesRun().size(), 2u);

  // Without tables = '*' a list of databases is a configuration error.
  Configure({{"database_name", "shop,default"}, {"tables", ""}, {"primary_keys", ""}});
  const ProcessResult refused = Debug(dir_.path() / "refused");
  EXPECT_EQ(refused.exit_code, 2) << refused.out << refused.err;
  EXPECT_THAT(refused.out + refused.err, HasSubstr("several databases need 'tables' = '*'"));
}

TEST_F(DiscoveryE2eTest, TheBillIsPrintedAndReusedResultsAreFree) {
  Configure({{"result_reuse_minutes", "60"}});
  const auto work = dir_.path() / "files";
  const ProcessResult first = Debug(work);
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  // Six queries, each billed at least 10 MB; bytes as athena-local's query log says.
  int64_t scanned = 0;
  for (const auto& entry : QueryLog()) scanned += entry["data_scanned_bytes"].get<int64_t>();
  EXPECT_GT(scanned, 0);
  EXPECT_THAT(first.out, HasSubstr("Athena: 6 queries, "));
  EXPECT_THAT(first.out, HasSubstr(" scanned, 60.0 MB billed, $0.0003 at $5.00/TB"));
  EXPECT_THAT(first.err, HasSubstr("Table 'order_lines' synced: 2000 rows from query "));

  const ProcessResult again = Debug(work);
  ASSERT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_THAT(again.out, HasSubstr("Athena: 6 queries, 0 B scanned, 0 B billed, $0.0000"));
  EXPECT_THAT(again.err, HasSubstr("; a reused result: nothing scanned)"));
}

TEST_F(DiscoveryE2eTest, TablesThatWouldPassTheScanCapAreSkippedWholeWithAWarning) {
  // One table at a time, so which tables fit is fixed: each first query is expected at Athena's
  // 10 MB minimum, so two fit under 25 MB and the other four are skipped, named in warnings.
  Configure({{"max_bytes_scanned_per_sync", "25MB"}, {"max_parallel_tables", "1"}});
  const auto work = dir_.path() / "files";
  const ProcessResult run = Debug(work);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(QueriesRun().size(), 2u);
  size_t skipped = 0;
  for (size_t at = run.out.find("WARNING: table '"); at != std::string::npos;
       at = run.out.find("WARNING: table '", at + 1)) {
    ++skipped;
  }
  EXPECT_EQ(skipped, 4u) << run.out;
  EXPECT_THAT(run.out, HasSubstr("is skipped: its query is expected to bill 10.0 MB"));
  EXPECT_THAT(run.out, HasSubstr("Athena: 2 queries, "));
  const json state = json::parse(ReadFile(work / "state.json"));
  EXPECT_EQ(state["tables"].size(), 2u) << state.dump();  // skipped tables are left as they were
}

TEST_F(DiscoveryE2eTest, DebugOptionsNameWhatTheyDoNotKnow) {
  Configure();
  const auto work = dir_.path() / "files";
  ProcessResult run = Debug(work, {"--tables", "orders"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_THAT(run.out + run.err, HasSubstr("no table 'orders' (tables: "));
  run = Debug(work, {"--exclude-columns", "order_lines.nope"});
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;
  EXPECT_THAT(run.out + run.err, HasSubstr("table 'order_lines' has no column 'nope'"));
  EXPECT_TRUE(QueriesRun().empty());
}

TEST_F(DiscoveryE2eTest, SetupTestsRunOnlyWhenAskedFor) {
  Configure();
  const auto work = dir_.path() / "files";
  ProcessResult run = Debug(work, {"--tables", "events", "--test"});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_THAT(run.out, HasSubstr("]: PASSED"));
  EXPECT_EQ(QueriesRun().size(), 2u);  // the staging test's query, then the table's
}

}  // namespace
}  // namespace ac::testing
