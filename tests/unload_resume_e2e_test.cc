// End-to-end: a `debug` sync of two tables with the unload fetcher, killed (SIGKILL) inside a file
// of the second table's multi-file UNLOAD after the first table completed, resumes where its last
// checkpoint stands: the resumed run delivers exactly the second table's rows after that
// checkpoint (none twice, none of the completed table), runs no query, never downloads a file the
// checkpoint lists as done, downloads of the files it had on disk (<working-dir>/downloads) only
// the bytes that were missing, removes a stale download folder and leaves none, and the warehouse
// ends with every row once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <thread>

#include "support/test_support.h"
#include "warehouse/duckdb_warehouse.h"

namespace ac::testing {
namespace {

using nlohmann::json;

constexpr int64_t kRows = 200000;  // tests/data/fetchers/resume_rows.sql

warehouse::QueryResult Query(const std::filesystem::path& work, const std::string& sql) {
  warehouse::WarehouseOptions options;
  options.working_dir = work;
  warehouse::DuckDbWarehouse warehouse(options);
  return warehouse.Query(sql);
}

/// The "Upserts | N" line of debug's SYNC PROGRESS: the rows this run delivered.
int64_t UpsertsOf(const std::string& out) {
  std::smatch match;
  if (!std::regex_search(out, match, std::regex(R"(Upserts\s*\|\s*(\d+))"))) return -1;
  return std::stoll(match[1]);
}

/// Object keys of the S3 requests (method `method`) in athena-local's debug log `log`.
std::vector<std::string> S3Paths(const std::string& log, const std::string& method) {
  std::vector<std::string> out;
  const std::regex line(method + R"( s3 (\S+) )");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator();
       ++it) {
    out.push_back((*it)[1]);
  }
  return out;
}

/// Bytes requested per object key by the ranged GETs (`range=bytes=a-b`) in athena-local's log.
std::map<std::string, int64_t> S3RangeBytes(const std::string& log) {
  std::map<std::string, int64_t> out;
  const std::regex line(R"(GET s3 (\S+) [^\n]*range=bytes=(\d+)-(\d+))");
  for (auto it = std::sregex_iterator(log.begin(), log.end(), line); it != std::sregex_iterator();
       ++it) {
    out[(*it)[1]] += std::stoll((*it)[3]) - std::stoll((*it)[2]) + 1;
  }
  return out;
}

/// A downloaded file at the kill: its bytes on disk and its object's size (from the sidecar).
struct LocalDownload {
  int64_t bytes = 0;
  int64_t object_size = 0;
};

bool EndsWith(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

TEST(UnloadResumeE2eTest, AKillInsideAFileCostsAtMostOneCheckpointIntervalAndNoDoneWork) {
  TempDir dir;
  // Parquet files of ~25,000 rows; every request and every query logged.
  const auto query_log = dir.path() / "queries.jsonl";
  AthenaLocal athena({.seeds = {(SourceDir() / "tests" / "data" / "fetchers").string()},
                      .extra_args = {"--unload-rows-per-file", "25000", "--bandwidth-mbps", "16",
                                     "--log-level", "debug", "--query-log", query_log.string()}});
  const int64_t interval = 1000;
  const int64_t second_rows = 150000;
  // Two tables, one after the other: `first` completes, `second` is killed inside a file.
  const json tables = json::array(
      {{{"source_table", "resume_rows"},
        {"destination_table", "first"},
        {"primary_key", json::array({"id"})}},
       {{"query", "SELECT * FROM resume_rows WHERE id <= " + std::to_string(second_rows)},
        {"destination_table", "second"},
        {"primary_key", json::array({"id"})}}});
  const auto config =
      athena.WriteConfiguration(dir.path(), {{"result_fetcher", "unload"},
                                             {"source_table", ""},
                                             {"tables", tables.dump()},
                                             {"max_parallel_tables", "1"},
                                             {"checkpoint_interval_rows", std::to_string(interval)},
                                             {"s3_concurrency", "2"}});
  const auto work = dir.path() / "files";
  TempDir logs;
  const int pid = StartProcess({ConnectorBinary(), "debug", "--configuration", config.string(),
                                "--working-dir", work.string(), "--no-progress"},
                               logs.path());
  // Killed once `first` is complete and a checkpoint of `second` stands inside a file after its
  // first: files done and rows of the next file delivered.
  bool killed = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (!killed && std::chrono::steady_clock::now() < deadline) {
    const json state = json::parse(ReadFile(work / "state.json"), nullptr, false);
    if (!state.is_discarded() && state.contains("tables") && state["tables"].contains("second") &&
        state["tables"]["first"]["status"] == "complete") {
      const auto& t = state["tables"]["second"];
      if (t["status"] == "in_progress" && t.contains("position") &&
          t["position"].contains("files_done") &&
          t["position"].value("file_rows_done", int64_t{0}) > 0) {
        kill(pid, SIGKILL);
        killed = true;
      }
    }
    if (!killed) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(killed) << "the sync ended before it could be killed inside a file\n"
                      << ReadFile(logs.path() / "stderr.log");

  // The last checkpoint (the state file is replaced atomically; a later one may have landed
  // between the poll and the kill).
  const json killed_state = json::parse(ReadFile(work / "state.json"));
  ASSERT_EQ(killed_state["tables"]["first"]["status"], "complete") << killed_state.dump();
  const auto& position = killed_state["tables"]["second"]["position"];
  const int64_t checkpoint_rows = position["rows_read"].get<int64_t>();
  const std::vector<std::string> files_done = position["files_done"];
  ASSERT_FALSE(files_done.empty()) << killed_state.dump();
  ASSERT_GT(checkpoint_rows, 0);
  ASSERT_LT(checkpoint_rows, second_rows);

  // What the killed sync had downloaded: its query's folder under <working-dir>/downloads, each
  // file (f-<object name>.parquet) with its sidecar (ETag, object size).
  const std::string query_id =
      killed_state["tables"]["second"]["query_execution_id"].get<std::string>();
  const auto downloads = work / "downloads";
  const auto folder = downloads / ("athena-connector-unload-" + query_id);
  ASSERT_TRUE(std::filesystem::is_directory(folder));
  std::map<std::string, LocalDownload> on_disk;  // by object name
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("f-", 0) != 0 || !EndsWith(name, ".parquet")) continue;
    std::ifstream sidecar(entry.path().string() + ".etag");
    std::string etag;
    LocalDownload local;
    ASSERT_TRUE(std::getline(sidecar, etag) && (sidecar >> local.object_size)) << name;
    local.bytes = static_cast<int64_t>(std::filesystem::file_size(entry.path()));
    on_disk[name.substr(2, name.size() - 2 - 8)] = local;
  }
  ASSERT_FALSE(on_disk.empty());
  // A folder a killed sync of another query left behind.
  const auto stale = downloads / "athena-connector-unload-00000000-dead-beef-0000-000000000000";
  std::filesystem::create_directories(stale);
  std::ofstream(stale / "f-x.parquet") << "partial";
  std::ofstream(stale / ".lock") << "";

  const size_t log_before = athena.log().size();
  const size_t queries_before = ReadFile(query_log).size();
  const ProcessResult resumed =
      RunProcess({ConnectorBinary(), "debug", "--configuration", config.string(), "--working-dir",
                  work.string(), "--no-progress"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_NE(
      resumed.err.find("Resuming table 'second' from query " +
                       killed_state["tables"]["second"]["query_execution_id"].get<std::string>()),
      std::string::npos)
      << resumed.err;

  // The resumed run delivers exactly the rows after the checkpoint: none twice, and nothing of
  // the table the interrupted sync had completed.
  EXPECT_EQ(UpsertsOf(resumed.out), second_rows - checkpoint_rows)
      << "checkpoint of 'second' at row " << checkpoint_rows << " (" << files_done.size()
      << " files done + " << position.value("file_rows_done", int64_t{0}) << " rows)\n"
      << resumed.out << resumed.err;
  // No query ran again (Schema's `LIMIT 0` query of the `query` table's columns aside).
  const std::string queries = ReadFile(query_log).substr(queries_before);
  EXPECT_EQ(queries.find("UNLOAD"), std::string::npos) << queries;

  // Files the checkpoint lists as done are never fetched again; the file in progress is.
  const std::string log = athena.log().substr(log_before);
  std::vector<std::string> fetched = S3Paths(log, "GET");
  for (const auto& head : S3Paths(log, "HEAD")) fetched.push_back(head);
  int parquet_fetches = 0;
  for (const auto& path : fetched) {
    if (path.find("/unload/") == std::string::npos) continue;
    ++parquet_fetches;
    for (const auto& done : files_done)
      EXPECT_FALSE(EndsWith(path, "/" + done)) << path << " was done before the kill";
  }
  EXPECT_GT(parquet_fetches, 0) << log;

  // A file on disk at the kill is downloaded again only for its missing bytes (none when it was
  // whole, as the file the checkpoint is inside is): a ranged GET from its size on.
  const std::map<std::string, int64_t> requested = S3RangeBytes(log);
  int64_t downloaded = 0;
  int64_t reused = 0;
  for (const auto& [path, bytes] : requested) {
    if (path.find("/unload/") == std::string::npos) continue;
    downloaded += bytes;
    const auto local = on_disk.find(path.substr(path.rfind('/') + 1));
    if (local == on_disk.end()) continue;
    EXPECT_EQ(bytes, local->second.object_size - local->second.bytes) << path;
  }
  int partial = 0;
  for (const auto& [name, local] : on_disk) {
    reused += local.bytes;
    partial += local.bytes < local.object_size;
    if (local.bytes == local.object_size) {
      for (const auto& [path, bytes] : requested)
        EXPECT_FALSE(EndsWith(path, "/" + name)) << name << " was whole on disk";
    }
  }
  EXPECT_GT(reused, 0);
  std::cout << "[ measured ] resumed read: downloaded " << downloaded << " bytes of UNLOAD files, "
            << "reused " << reused << " bytes on disk (" << on_disk.size() << " files, " << partial
            << " of them partly downloaded) that the read would otherwise download again\n";
  // The stale folder went when the sync started; the completed reads left none.
  EXPECT_FALSE(std::filesystem::exists(stale));
  EXPECT_TRUE(std::filesystem::is_empty(downloads));

  // The warehouse holds every row once.
  for (const auto& [table, rows] : {std::pair<std::string, int64_t>{"first", kRows},
                                    std::pair<std::string, int64_t>{"second", second_rows}}) {
    const auto counts =
        Query(work, "SELECT count(*), count(DISTINCT id), sum(id) FROM tester." + table);
    EXPECT_EQ(counts.rows.at(0).at(0), std::to_string(rows)) << table;
    EXPECT_EQ(counts.rows.at(0).at(1), std::to_string(rows)) << table;
    EXPECT_EQ(counts.rows.at(0).at(2), std::to_string(rows * (rows + 1) / 2)) << table;
  }
}

}  // namespace
}  // namespace ac::testing
