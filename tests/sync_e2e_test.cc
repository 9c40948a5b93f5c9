// End-to-end: the real athena-connector binary against athena-local, results checked in the
// local DuckDB warehouse.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/test_support.h"
#include "warehouse/duckdb_warehouse.h"

namespace ac::testing {
namespace {

using nlohmann::json;

struct DebugRun {
  ProcessResult process;
  std::filesystem::path work;
};

ProcessResult RunDebug(const std::filesystem::path& configuration,
                       const std::filesystem::path& work) {
  return RunProcess({ConnectorBinary(), "debug", "--configuration", configuration.string(),
                     "--working-dir", work.string()});
}

warehouse::QueryResult Query(const std::filesystem::path& work, const std::string& sql) {
  warehouse::WarehouseOptions options;
  options.working_dir = work;
  warehouse::DuckDbWarehouse warehouse(options);
  return warehouse.Query(sql);
}

std::string Cell(const warehouse::QueryResult& r, size_t row, size_t col) {
  return r.rows.at(row).at(col).value_or("<NULL>");
}

class SyncE2eTest : public ::testing::Test {
 protected:
  TempDir dir;
};

TEST_F(SyncE2eTest, ExampleJobUpsertsEveryRowOfTestRowsIntoCustomers) {
  AthenaLocal athena;
  const auto config = athena.WriteConfiguration(dir.path());
  const auto work = dir.path() / "files";
  const ProcessResult run = RunDebug(config, work);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err << athena.log();
  EXPECT_NE(run.out.find("Sync SUCCEEDED"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("SYNC PROGRESS:"), std::string::npos) << run.out;

  // Exactly the rows of test_rows: compare with the seed loaded into a scratch DuckDB.
  const auto synced =
      Query(work,
            "SELECT count(*), count(DISTINCT customer_id), min(customer_id), max(customer_id) "
            "FROM tester.customers WHERE NOT _fivetran_deleted");
  ASSERT_EQ(synced.rows.size(), 1u);
  EXPECT_EQ(Cell(synced, 0, 0), Cell(synced, 0, 1));  // primary key unique
  EXPECT_GT(std::stoll(Cell(synced, 0, 0)), 100);

  const json state = json::parse(ReadFile(work / "state.json"));
  EXPECT_EQ(state["tables"]["customers"]["status"], "complete") << state.dump();
  EXPECT_EQ(state["tables"]["customers"]["rows_synced"].get<int64_t>(),
            std::stoll(Cell(synced, 0, 0)));

  // The columns the Python example syncs are there, with their types.
  const auto columns =
      Query(work,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'tester' AND table_name = 'customers' ORDER BY ordinal_position");
  std::map<std::string, std::string> types;
  for (const auto& row : columns.rows) types[*row[0]] = *row[1];
  EXPECT_EQ(types["customer_id"], "BIGINT");
  EXPECT_EQ(types["first_name"], "VARCHAR");
  EXPECT_EQ(types["last_name"], "VARCHAR");
  EXPECT_EQ(types["email"], "VARCHAR");
  EXPECT_EQ(types["_fivetran_synced"], "TIMESTAMP WITH TIME ZONE");
  EXPECT_EQ(types["_fivetran_deleted"], "BOOLEAN");
}

TEST_F(SyncE2eTest, MultiPageResultKeepsEveryRowNullAndEmptyStringApart) {
  AthenaLocal athena({.seeds = {(SourceDir() / "examples" / "local").string(),
                                (SourceDir() / "tests" / "data").string()},
                      .extra_args = {}});
  const auto config = athena.WriteConfiguration(dir.path(), {{"source_table", "big_rows"}});
  const auto work = dir.path() / "files";
  const ProcessResult run = RunDebug(config, work);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto r =
      Query(work,
            "SELECT count(*), count(DISTINCT customer_id), sum(customer_id), "
            "count(*) FILTER (WHERE last_name IS NULL), count(*) FILTER (WHERE last_name = ''), "
            "max(score) FROM tester.customers");
  EXPECT_EQ(Cell(r, 0, 0), "20000");
  EXPECT_EQ(Cell(r, 0, 1), "20000");
  EXPECT_EQ(Cell(r, 0, 2), "200010000");
  EXPECT_EQ(Cell(r, 0, 3), "2857");  // i % 7 == 0
  EXPECT_EQ(Cell(r, 0, 4), "1559");  // i % 11 == 0 and i % 7 != 0: 1818 - 259
  EXPECT_EQ(Cell(r, 0, 5), "2500.0");
  const auto row = Query(work, "SELECT last_name FROM tester.customers WHERE customer_id = 13");
  EXPECT_EQ(Cell(row, 0, 0), "last \"13\", x");
}

// Athena prints `timestamp with time zone` values in their zone (`... America/Los_Angeles`). The
// connector resolves named zones without any zoneinfo folder (as in Fivetran's container): the
// binary carries the tz database. Same instants as when the values arrive in UTC.
TEST_F(SyncE2eTest, NamedTimeZonesResolveWithoutAZoneinfoFolder) {
  const std::map<std::string, std::string> types_table = {
      {"source_table", "types"}, {"destination_table", "types"}, {"primary_key", "id"}};
  const std::string instants = "SELECT id, epoch_ms(c_timestamp_tz) FROM tester.types ORDER BY id";

  std::filesystem::create_directories(dir.path() / "utc-config");
  std::filesystem::create_directories(dir.path() / "zoned-config");
  AthenaLocal utc;
  const auto utc_work = dir.path() / "utc";
  const ProcessResult utc_run =
      RunDebug(utc.WriteConfiguration(dir.path() / "utc-config", types_table), utc_work);
  ASSERT_EQ(utc_run.exit_code, 0) << utc_run.out << utc_run.err;

  AthenaLocal zoned({.seeds = {(SourceDir() / "examples" / "local").string()},
                     .extra_args = {"--time-zone", "America/Los_Angeles"}});
  const auto zoned_work = dir.path() / "zoned";
  ::setenv("TZDIR", (dir.path() / "no-zoneinfo").c_str(), 1);
  const ProcessResult zoned_run =
      RunDebug(zoned.WriteConfiguration(dir.path() / "zoned-config", types_table), zoned_work);
  ::unsetenv("TZDIR");
  ASSERT_EQ(zoned_run.exit_code, 0) << zoned_run.out << zoned_run.err << zoned.log();

  const auto expected = Query(utc_work, instants);
  const auto got = Query(zoned_work, instants);
  ASSERT_GE(got.rows.size(), 3u);
  EXPECT_EQ(got.rows, expected.rows);
  EXPECT_EQ(Cell(got, 0, 1), "1706706855678");  // 2024-01-31 05:14:15.678 America/Los_Angeles
}

TEST_F(SyncE2eTest, ThrottlingAndServerErrorsAreRetriedToSuccess) {
  AthenaLocal athena(
      {.seeds = {(SourceDir() / "examples" / "local").string(),
                 (SourceDir() / "tests" / "data").string()},
       .extra_args = {"--throttle-rate", "0.15", "--error-rate", "0.15", "--fault-seed", "42"}});
  const auto config = athena.WriteConfiguration(dir.path(), {{"source_table", "big_rows"}});
  const auto work = dir.path() / "files";
  const ProcessResult run = RunDebug(config, work);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  const auto r = Query(work, "SELECT count(*), sum(customer_id) FROM tester.customers");
  EXPECT_EQ(Cell(r, 0, 0), "20000");
  EXPECT_EQ(Cell(r, 0, 1), "200010000");
}

TEST_F(SyncE2eTest, KilledSyncResumesTheSameResultWithoutDuplicates) {
  AthenaLocal athena({.seeds = {(SourceDir() / "examples" / "local").string(),
                                (SourceDir() / "tests" / "data").string()},
                      .extra_args = {"--latency-ms", "40"}});
  const auto config = athena.WriteConfiguration(
      dir.path(), {{"source_table", "big_rows"}, {"checkpoint_interval_rows", "1000"}});
  const auto work = dir.path() / "files";
  TempDir logs;
  const int pid = StartProcess({ConnectorBinary(), "debug", "--configuration", config.string(),
                                "--working-dir", work.string()},
                               logs.path());
  // Kill it hard once a checkpoint inside the result exists.
  std::string first_query;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  bool killed = false;
  while (std::chrono::steady_clock::now() < deadline) {
    const std::string text = ReadFile(work / "state.json");
    if (!text.empty()) {
      const json state = json::parse(text, nullptr, false);
      if (!state.is_discarded() && state.contains("tables") &&
          state["tables"].contains("customers")) {
        const auto& t = state["tables"]["customers"];
        if (t["status"] == "in_progress" && t.contains("position") &&
            t["position"]["rows_read"].get<int64_t>() >= 2000) {
          kill(pid, SIGKILL);
          killed = true;
          first_query = t["query_execution_id"];
          break;
        }
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(killed) << ReadFile(logs.path() / "stdout.log")
                      << ReadFile(logs.path() / "stderr.log");

  const ProcessResult resumed = RunDebug(config, work);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_NE(resumed.err.find("Resuming table 'customers' from query " + first_query),
            std::string::npos)
      << resumed.err;
  const json state = json::parse(ReadFile(work / "state.json"));
  EXPECT_EQ(state["tables"]["customers"]["query_execution_id"], first_query);  // no second query
  const auto r = Query(work,
                       "SELECT count(*), count(DISTINCT customer_id), sum(customer_id), "
                       "count(*) FILTER (WHERE _fivetran_deleted) FROM tester.customers");
  EXPECT_EQ(Cell(r, 0, 0), "20000");
  EXPECT_EQ(Cell(r, 0, 1), "20000");
  EXPECT_EQ(Cell(r, 0, 2), "200010000");
  EXPECT_EQ(Cell(r, 0, 3), "0");
}

TEST_F(SyncE2eTest, SecondSyncAfterCompletionRunsAFreshQueryAndKeepsRowsLive) {
  AthenaLocal athena;
  const auto config = athena.WriteConfiguration(dir.path());
  const auto work = dir.path() / "files";
  ASSERT_EQ(RunDebug(config, work).exit_code, 0);
  const json first = json::parse(ReadFile(work / "state.json"));
  const ProcessResult second = RunDebug(config, work);
  ASSERT_EQ(second.exit_code, 0) << second.out << second.err;
  const json state = json::parse(ReadFile(work / "state.json"));
  EXPECT_NE(state["tables"]["customers"]["query_execution_id"],
            first["tables"]["customers"]["query_execution_id"]);
  const auto r =
      Query(work, "SELECT count(*) FILTER (WHERE _fivetran_deleted) FROM tester.customers");
  EXPECT_EQ(Cell(r, 0, 0), "0");
}

// The state file is input like any other: a cursor value with SQL in it stops the sync before
// any query, with one clear line (exit 2), and never reaches Athena.
TEST_F(SyncE2eTest, AForgedCursorInTheStateCannotChangeTheQuery) {
  AthenaLocal athena;
  const auto config = athena.WriteConfiguration(dir.path(), {{"cursor_column", "customer_id"}});
  const auto work = dir.path() / "files";
  ASSERT_EQ(RunDebug(config, work).exit_code, 0);
  json state = json::parse(ReadFile(work / "state.json"));
  ASSERT_EQ(state["tables"]["customers"]["cursor_type"], "bigint") << state.dump();
  state["tables"]["customers"]["cursor_value"] = "1 OR 1=1";
  {
    std::ofstream out(work / "state.json");
    out << state.dump();
  }
  const ProcessResult run = RunDebug(config, work);
  EXPECT_EQ(run.exit_code, 2) << run.out << run.err;  // a bad state, as README says
  EXPECT_NE(run.out.find("Sync FAILED: "), std::string::npos) << run.out;
  EXPECT_NE((run.out + run.err).find("saved cursor value is not a valid bigint"), std::string::npos)
      << run.out << run.err;
  EXPECT_EQ(athena.log().find("1 OR 1=1"), std::string::npos);
  EXPECT_EQ((run.out + run.err).find("Started Athena query"), std::string::npos) << run.out;
}

TEST_F(SyncE2eTest, WrongSecretFailsWithOneClearLineAndNeverPrintsTheSecret) {
  AthenaLocal athena;
  const std::string secret = "Wr0ngSecretValue-DoNotLeak-7f3a9c";
  const auto config = athena.WriteConfiguration(dir.path(), {{"aws_secret_access_key", secret}});
  const auto work = dir.path() / "files";
  const ProcessResult run = RunDebug(config, work);
  EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
  EXPECT_NE(run.out.find("Sync FAILED: "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("InvalidSignatureException"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find(secret), std::string::npos);
  EXPECT_EQ(run.err.find(secret), std::string::npos);
}

TEST_F(SyncE2eTest, UnknownDatabaseFailsNamingIt) {
  AthenaLocal athena;
  const auto config = athena.WriteConfiguration(dir.path(), {{"database_name", "no_such_db"}});
  const ProcessResult run = RunDebug(config, dir.path() / "files");
  EXPECT_EQ(run.exit_code, 4) << run.out << run.err;
  EXPECT_NE(run.out.find("Sync FAILED: "), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("no_such_db"), std::string::npos) << run.out;
}

TEST_F(SyncE2eTest, InvalidConfigurationNamesTheKey) {
  AthenaLocal athena;
  const auto config = athena.WriteConfiguration(dir.path(), {{"s3_staging_dir", "/tmp/not-s3"}});
  const ProcessResult run = RunDebug(config, dir.path() / "files");
  EXPECT_EQ(run.exit_code, 2);
  EXPECT_NE(run.out.find("s3_staging_dir"), std::string::npos) << run.out;
}

TEST_F(SyncE2eTest, SecretAppearsNowhereButInConfiguration) {
  const std::string secret = "S3cretKey-unique-4b1d2e9f0a";
  AthenaLocal athena(
      {.seeds = {},
       .extra_args = {"--access-key-id", "AKIDLOCALTEST", "--secret-access-key", secret}});
  const auto config = athena.WriteConfiguration(
      dir.path(), {{"aws_access_key_id", "AKIDLOCALTEST"}, {"aws_secret_access_key", secret}});
  const auto work = dir.path() / "files";
  const ProcessResult run =
      RunProcess({ConnectorBinary(), "--log-level", "debug", "debug", "--configuration",
                  config.string(), "--working-dir", work.string()});
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_EQ(run.out.find(secret), std::string::npos);
  EXPECT_EQ(run.err.find(secret), std::string::npos);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(work)) {
    if (!entry.is_regular_file()) continue;
    EXPECT_EQ(ReadFile(entry.path()).find(secret), std::string::npos) << entry.path();
  }
}

TEST_F(SyncE2eTest, ResetDeletesTheWorkingDir) {
  const auto work = dir.path() / "files";
  std::filesystem::create_directories(work);
  std::ofstream(work / "state.json") << "{}";
  const ProcessResult run =
      RunProcess({ConnectorBinary(), "reset", "--working-dir", work.string(), "--yes"});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_FALSE(std::filesystem::exists(work));
  const ProcessResult again =
      RunProcess({ConnectorBinary(), "reset", "--working-dir", work.string(), "--yes"});
  EXPECT_NE(again.exit_code, 0);
}

}  // namespace
}  // namespace ac::testing
