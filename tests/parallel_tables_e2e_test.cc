// End-to-end: several tables synced in parallel (max_parallel_tables 3) by the real
// `athena-connector debug`, killed with SIGKILL at random moments and resumed each time, end in
// the same warehouse as a clean one-table-at-a-time sync; no resumed run starts a new query for a
// table whose query id was saved in progress.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <thread>

#include "support/test_support.h"
#include "warehouse/duckdb_warehouse.h"

namespace ac::testing {
namespace {

using nlohmann::json;
using Rows = std::vector<std::vector<std::optional<std::string>>>;

struct TableSpec {
  std::string name;
  std::string key;  ///< ORDER BY of the comparison (the primary key)
  json entry;       ///< the `tables` entry
};

const std::vector<TableSpec>& Tables() {
  static const std::vector<TableSpec> tables = {
      {"par_orders", "id", {{"source_table", "par_orders"}, {"primary_key", "id"}}},
      {"par_events", "event_id", {{"source_table", "par_events"}, {"primary_key", "event_id"}}},
      {"par_users", "user_id", {{"source_table", "par_users"}, {"primary_key", "user_id"}}},
      {"par_items",
       "order_id, line",
       {{"source_table", "par_items"}, {"primary_key", json::array({"order_id", "line"})}}},
      {"par_small", "id", {{"source_table", "par_small"}, {"primary_key", "id"}}},
      {"par_changes",
       "id",
       {{"source_table", "par_changes"}, {"primary_key", "id"}, {"cursor_column", "updated"}}},
  };
  return tables;
}

std::string TablesJson() {
  json list = json::array();
  for (const auto& table : Tables()) list.push_back(table.entry);
  return list.dump();
}

std::vector<std::string> DebugArgv(const std::filesystem::path& configuration,
                                   const std::filesystem::path& work) {
  return {ConnectorBinary(), "debug",       "--configuration", configuration.string(),
          "--working-dir",   work.string(), "--no-progress"};
}

/// Every row of `table` but _fivetran_synced, in key order.
Rows DumpTable(const std::filesystem::path& work, const TableSpec& table) {
  warehouse::WarehouseOptions options;
  options.working_dir = work;
  warehouse::DuckDbWarehouse warehouse(options);
  return warehouse
      .Query("SELECT * EXCLUDE (_fivetran_synced) FROM tester." + table.name + " ORDER BY " +
             table.key)
      .rows;
}

json ReadState(const std::filesystem::path& work) {
  const std::string text = ReadFile(work / "state.json");
  if (text.empty()) return json::object();
  return json::parse(text);
}

/// Tables the state has in progress, with their saved query ids.
std::map<std::string, std::string> InProgress(const json& state) {
  std::map<std::string, std::string> out;
  if (!state.contains("tables")) return out;
  for (const auto& [table, entry] : state["tables"].items()) {
    if (entry.value("status", "") == "in_progress" &&
        !entry.value("query_execution_id", "").empty()) {
      out[table] = entry["query_execution_id"];
    }
  }
  return out;
}

/// Tables the sync under way in `state` (its sync_id) has completed: a run continuing that sync
/// does not sync them again.
size_t CompletedByTheSyncUnderWay(const json& state) {
  const std::string sync_id = state.value("sync_id", "");
  if (sync_id.empty() || !state.contains("tables")) return 0;
  size_t n = 0;
  for (const auto& [table, entry] : state["tables"].items()) {
    n += entry.value("status", "") == "complete" && entry.value("completed_in_sync", "") == sync_id;
  }
  return n;
}

/// True when some table of `state` is in progress with rows already read.
bool MidRead(const json& state) {
  if (!state.contains("tables")) return false;
  for (const auto& [table, entry] : state["tables"].items()) {
    if (entry.value("status", "") == "in_progress" && entry.contains("position") &&
        entry["position"].value("rows_read", 0) > 0) {
      return true;
    }
  }
  return false;
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

/// Checks a run against the state it started from: a table saved in progress keeps its query
/// (resumed, never queried again); only the other tables (and the setup test's `SELECT 1`) start
/// queries; a table the interrupted sync completed none. `complete`: the run finished, so every
/// saved table says it resumed.
void CheckNoSavedQueryRerun(const json& before, const json& after, const std::string& log,
                            bool complete) {
  const auto saved = InProgress(before);
  for (const auto& [table, query] : saved) {
    if (after.contains("tables") && after["tables"].contains(table)) {
      EXPECT_EQ(after["tables"][table].value("query_execution_id", ""), query)
          << table << " was queried again";
    }
    if (complete) {
      EXPECT_NE(log.find("Resuming table '" + table + "' from query " + query), std::string::npos)
          << table << "\n"
          << log;
    }
  }
  // One query per table without a saved one, none for a table the interrupted sync completed
  // (debug runs no setup-test query unless --test).
  const size_t allowed = Tables().size() - saved.size() - CompletedByTheSyncUnderWay(before);
  const size_t started = Count(log, "Started Athena query");
  if (complete) {
    EXPECT_EQ(started, allowed) << log;
  } else {
    EXPECT_LE(started, allowed) << log;
  }
}

TEST(ParallelTablesE2eTest, KilledAtRandomAndResumedItEndsLikeACleanSequentialSync) {
  // Latency on every request and small S3 parts stretch each table's read over many requests, so
  // the kills land anywhere: before a query, while one runs, in the middle of reads, between
  // tables.
  AthenaLocal athena(
      {.seeds = {(SourceDir() / "tests" / "data" / "parallel").string()},
       .extra_args = {"--latency-ms", "15", "--query-delay-ms", "300", "--workers", "8"}});
  TempDir dir;
  const std::map<std::string, std::string> common_keys = {{"tables", TablesJson()},
                                                          {"checkpoint_interval_rows", "500"},
                                                          {"s3_part_size_bytes", "32768"},
                                                          {"s3_concurrency", "2"}};

  // The reference: one table at a time, never interrupted.
  std::filesystem::create_directories(dir.path() / "clean");
  auto clean_keys = common_keys;
  clean_keys["max_parallel_tables"] = "1";
  const auto clean_config = athena.WriteConfiguration(dir.path() / "clean", clean_keys);
  const auto clean_work = dir.path() / "clean" / "files";
  const auto clean_started = std::chrono::steady_clock::now();
  const ProcessResult clean = RunProcess(DebugArgv(clean_config, clean_work));
  ASSERT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  const auto clean_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - clean_started)
                            .count();

  std::filesystem::create_directories(dir.path() / "parallel");
  auto parallel_keys = common_keys;
  parallel_keys["max_parallel_tables"] = "3";
  const auto config = athena.WriteConfiguration(dir.path() / "parallel", parallel_keys);
  const auto work = dir.path() / "parallel" / "files";

  // Kill moments spread over about the length of a parallel sync (a fraction of the sequential
  // one's); a run that ends first is simply followed by another.
  const unsigned seed = std::random_device{}();
  SCOPED_TRACE("kill delays seeded with " + std::to_string(seed) + ", sequential sync " +
               std::to_string(clean_ms) + " ms");
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> delay_ms(30, std::max<int64_t>(300, clean_ms / 2));
  constexpr int kKills = 5;
  int kills = 0;
  size_t resumed = 0;  // saved in-progress tables the runs started from
  for (int run = 0;; ++run) {
    ASSERT_LT(run, 3 * kKills) << "too few runs could be killed";
    const bool kill_this = kills < kKills;
    const json before = ReadState(work);
    resumed += InProgress(before).size();
    TempDir logs;
    const int pid = StartProcess(DebugArgv(config, work), logs.path());
    int status = 0;
    bool exited = false;
    if (kill_this) {
      // Wait a random time (returning early when the sync ends first), then kill it. The first
      // run is killed only once a table is in the middle of its read, so some run resumes one
      // for sure; the others anywhere.
      const int64_t delay = delay_ms(rng);
      const bool mid_read = run == 0;
      const auto deadline =
          std::chrono::steady_clock::now() +
          (mid_read ? std::chrono::milliseconds(120'000) : std::chrono::milliseconds(delay));
      std::cerr << "run " << run << ": kill "
                << (mid_read ? std::string("in the middle of a read")
                             : std::to_string(delay) + " ms")
                << "; " << InProgress(before).size() << " table(s) saved in progress\n";
      while (std::chrono::steady_clock::now() < deadline) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
          exited = true;
          break;
        }
        if (mid_read && MidRead(ReadState(work))) break;  // state.json is replaced atomically
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      if (!exited) kill(pid, SIGKILL);
    }
    if (!exited) waitpid(pid, &status, 0);
    const bool killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    const std::string log = ReadFile(logs.path() / "stderr.log");
    if (killed) {
      ++kills;
    } else {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
          << ReadFile(logs.path() / "stdout.log") << log;
    }
    CheckNoSavedQueryRerun(before, ReadState(work), log, !killed);
    if (!kill_this) break;  // the last run, never interrupted
  }
  // Some kill left tables in the middle of their reads, and the next run resumed them.
  EXPECT_GT(resumed, 0u);

  const json state = ReadState(work);
  for (const auto& table : Tables()) {
    SCOPED_TRACE(table.name);
    EXPECT_EQ(state["tables"][table.name]["status"], "complete");
    const Rows want = DumpTable(clean_work, table);
    const Rows got = DumpTable(work, table);
    EXPECT_GT(want.size(), 0u);
    EXPECT_EQ(got.size(), want.size());
    EXPECT_TRUE(got == want);
  }
  // par_changes is incremental: the cursor the killed and resumed syncs saved is the clean one.
  EXPECT_EQ(state["tables"]["par_changes"]["cursor_value"],
            ReadState(clean_work)["tables"]["par_changes"]["cursor_value"]);
}

}  // namespace
}  // namespace ac::testing
