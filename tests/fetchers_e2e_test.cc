// End-to-end: every result fetcher (api, s3, unload, auto) of the real athena-connector binary
// against athena-local yields the same warehouse; each resumes a killed sync; auto falls back.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "aws/s3_client.h"
#include "aws/service_client.h"
#include "aws/test_http_server.h"
#include "support/test_support.h"
#include "warehouse/duckdb_warehouse.h"

namespace ac::testing {
namespace {

using nlohmann::json;
using Dump = std::vector<std::vector<std::optional<std::string>>>;

std::filesystem::path FetcherSeeds() {
  return SourceDir() / "tests" / "data" / "fetchers";
}

ProcessResult RunDebug(const std::filesystem::path& configuration,
                       const std::filesystem::path& work) {
  return RunProcess({ConnectorBinary(), "debug", "--configuration", configuration.string(),
                     "--working-dir", work.string(), "--no-progress"});
}

warehouse::QueryResult Query(const std::filesystem::path& work, const std::string& sql) {
  warehouse::WarehouseOptions options;
  options.working_dir = work;
  warehouse::DuckDbWarehouse warehouse(options);
  return warehouse.Query(sql);
}

/// Every row of a destination table (all columns but _fivetran_synced), by id, with the column
/// names and types as a first row.
Dump DumpTable(const std::filesystem::path& work, const std::string& table) {
  Dump out;
  const auto columns =
      Query(work,
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = "
            "'tester' AND table_name = '" +
                table + "' ORDER BY ordinal_position");
  std::vector<std::optional<std::string>> header;
  for (const auto& row : columns.rows) {
    if (*row[0] != "_fivetran_synced") header.push_back(*row[0] + " " + *row[1]);
  }
  out.push_back(header);
  const auto rows =
      Query(work, "SELECT * EXCLUDE (_fivetran_synced) FROM tester." + table + " ORDER BY id");
  for (const auto& row : rows.rows) out.push_back(row);
  return out;
}

/// One line per mismatching row (at most a few), for readable failures.
std::string Diff(const Dump& want, const Dump& got) {
  std::string out;
  int shown = 0;
  for (size_t i = 0; i < std::max(want.size(), got.size()) && shown < 5; ++i) {
    if (i < want.size() && i < got.size() && want[i] == got[i]) continue;
    ++shown;
    out += "row " + std::to_string(i) + ":";
    for (const auto* side : {&want, &got}) {
      out += side == &want ? "\n  want " : "\n  got  ";
      if (i >= side->size()) {
        out += "<missing>";
        continue;
      }
      for (const auto& cell : (*side)[i]) out += (cell ? *cell : std::string("NULL")) + " | ";
    }
    out += "\n";
  }
  return out;
}

/// The three tables every fetcher syncs: all types (500 rows), 0 rows, 1 row.
std::string TypesTables() {
  return json::array({{{"source_table", "fetcher_types"}, {"primary_key", json::array({"id"})}},
                      {{"query", "SELECT * FROM fetcher_types WHERE id < 0"},
                       {"destination_table", "empty_rows"},
                       {"primary_key", json::array({"id"})}},
                      {{"query", "SELECT * FROM fetcher_types WHERE id = 1"},
                       {"destination_table", "one_row"},
                       {"primary_key", json::array({"id"})}}})
      .dump();
}

class FetchersE2eTest : public ::testing::Test {
 protected:
  TempDir dir;
};

TEST_F(FetchersE2eTest, EveryFetcherYieldsIdenticalRowsAndValues) {
  AthenaLocal athena({.seeds = {FetcherSeeds().string()}, .extra_args = {}});
  struct Variant {
    std::string name;
    std::map<std::string, std::string> overrides;
  };
  const std::vector<Variant> variants = {
      {"api", {{"result_fetcher", "api"}}},
      {"s3", {{"result_fetcher", "s3"}}},
      // Parts of a few hundred bytes and of 64 bytes: records straddle part boundaries everywhere,
      // and some parts end exactly at a record end.
      {"s3_parts_333",
       {{"result_fetcher", "s3"}, {"s3_part_size_bytes", "333"}, {"s3_concurrency", "3"}}},
      {"s3_parts_64",
       {{"result_fetcher", "s3"}, {"s3_part_size_bytes", "64"}, {"s3_concurrency", "8"}}},
      {"s3_batches_7",
       {{"result_fetcher", "s3"},
        {"checkpoint_interval_rows", "7"},
        {"s3_part_size_bytes", "4096"}}},
      {"unload", {{"result_fetcher", "unload"}}},
      {"unload_batches_7", {{"result_fetcher", "unload"}, {"checkpoint_interval_rows", "7"}}},
      {"auto", {{"result_fetcher", "auto"}}},
  };
  std::map<std::string, Dump> reference;
  for (const auto& variant : variants) {
    SCOPED_TRACE(variant.name);
    auto overrides = variant.overrides;
    overrides["tables"] = TypesTables();
    overrides["source_table"] = "";
    std::filesystem::create_directories(dir.path() / variant.name);
    const auto config = athena.WriteConfiguration(dir.path() / variant.name, overrides);
    const auto work = dir.path() / variant.name / "files";
    const ProcessResult run = RunDebug(config, work);
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_EQ(run.err.find("Result fetcher auto: reading"), std::string::npos)
        << run.err;  // no fallback
    const json state = json::parse(ReadFile(work / "state.json"));
    EXPECT_EQ(state["tables"]["fetcher_types"]["rows_synced"], 500) << state.dump();
    EXPECT_EQ(state["tables"]["empty_rows"]["rows_synced"], 0) << state.dump();
    EXPECT_EQ(state["tables"]["one_row"]["rows_synced"], 1) << state.dump();
    for (const std::string table : {"fetcher_types", "empty_rows", "one_row"}) {
      const Dump dump = DumpTable(work, table);
      if (variant.name == "api") {
        reference[table] = dump;
        continue;
      }
      EXPECT_EQ(dump.size(), reference[table].size()) << table;
      EXPECT_TRUE(dump == reference[table]) << table << "\n" << Diff(reference[table], dump);
    }
  }
  EXPECT_EQ(reference["fetcher_types"].size(), 501u);
  EXPECT_EQ(reference["empty_rows"].size(), 1u);
  EXPECT_EQ(reference["one_row"].size(), 2u);
}

/// A fingerprint of a resume_rows destination table.
std::vector<std::optional<std::string>> Fingerprint(const std::filesystem::path& work) {
  const auto r = Query(
      work,
      "SELECT count(*), count(DISTINCT id), sum(id), count(*) FILTER (WHERE _fivetran_deleted), "
      "md5(string_agg(concat_ws('|', id, coalesce(s, '<null>'), d, dt), '\n' ORDER BY id)) "
      "FROM tester.resume_rows");
  return r.rows.at(0);
}

struct ResumeCase {
  std::string fetcher;
  std::string position_fetcher;  ///< the reader whose position the checkpoint holds
};

void PrintTo(const ResumeCase& c, std::ostream* os) {
  *os << c.fetcher;
}

class FetcherResumeE2eTest : public ::testing::TestWithParam<ResumeCase> {
 protected:
  TempDir dir;
};

TEST_P(FetcherResumeE2eTest, KilledSyncResumesTheSameResultIntoAnIdenticalWarehouse) {
  const ResumeCase& c = GetParam();
  AthenaLocal athena({.seeds = {FetcherSeeds().string()}, .extra_args = {}});
  const std::map<std::string, std::string> overrides = {{"result_fetcher", c.fetcher},
                                                        {"source_table", "resume_rows"},
                                                        {"destination_table", "resume_rows"},
                                                        {"primary_key", "id"},
                                                        {"checkpoint_interval_rows", "1000"},
                                                        {"s3_part_size_bytes", "65536"},
                                                        {"s3_concurrency", "2"}};
  // The reference: one uninterrupted sync.
  std::filesystem::create_directories(dir.path() / "reference");
  const auto reference_config = athena.WriteConfiguration(dir.path() / "reference", overrides);
  ASSERT_EQ(RunDebug(reference_config, dir.path() / "reference" / "files").exit_code, 0);
  const auto reference = Fingerprint(dir.path() / "reference" / "files");
  ASSERT_EQ(reference[0], "200000");

  const auto config = athena.WriteConfiguration(dir.path(), overrides);
  const auto work = dir.path() / "files";
  TempDir logs;
  const int pid = StartProcess({ConnectorBinary(), "debug", "--configuration", config.string(),
                                "--working-dir", work.string(), "--no-progress"},
                               logs.path());
  std::string query_id;
  int64_t killed_at = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (std::chrono::steady_clock::now() < deadline && killed_at == 0) {
    const json state = json::parse(ReadFile(work / "state.json"), nullptr, false);
    if (!state.is_discarded() && state.contains("tables") &&
        state["tables"].contains("resume_rows")) {
      const auto& t = state["tables"]["resume_rows"];
      if (t["status"] == "in_progress" && t.contains("position") &&
          t["position"]["rows_read"].get<int64_t>() >= 3000) {
        kill(pid, SIGKILL);
        killed_at = t["position"]["rows_read"].get<int64_t>();
        query_id = t["query_execution_id"];
        EXPECT_EQ(t["fetcher"], c.fetcher);
        EXPECT_EQ(t["position"]["fetcher"], c.position_fetcher);
      }
    }
    if (killed_at == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_GT(killed_at, 0) << "the sync ended before it could be killed mid-result\n"
                          << ReadFile(logs.path() / "stderr.log");

  // The kill interrupted the bulk load: the table's key is still pending (its comment names it).
  const std::string primary_keys =
      "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'resume_rows' AND "
      "constraint_type = "
      "'PRIMARY KEY'";
  EXPECT_EQ(Query(work, primary_keys).rows.at(0).at(0), "0");
  EXPECT_NE(Query(work, "SELECT comment FROM duckdb_tables() WHERE table_name = 'resume_rows'")
                .rows.at(0)
                .at(0)
                .value_or("")
                .find(R"(["id"])"),
            std::string::npos);

  const ProcessResult resumed = RunDebug(config, work);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.out << resumed.err;
  EXPECT_EQ(Query(work, primary_keys).rows.at(0).at(0), "1");
  EXPECT_NE(resumed.err.find("Resuming table 'resume_rows' from query " + query_id),
            std::string::npos)
      << resumed.err;
  const json state = json::parse(ReadFile(work / "state.json"));
  EXPECT_EQ(state["tables"]["resume_rows"]["query_execution_id"], query_id);  // no second query
  EXPECT_EQ(state["tables"]["resume_rows"]["status"], "complete");
  EXPECT_EQ(Fingerprint(work), reference);

  if (c.fetcher == "unload") {
    // Both syncs removed their Parquet files.
    aws::ServiceEndpoint endpoint{"s3", "us-east-1", aws::Url::Parse(athena.url())};
    aws::Credentials credentials;
    credentials.access_key_id = "test";
    credentials.secret_access_key = common::Secret("test");
    auto service = std::make_shared<aws::ServiceClient>(
        endpoint, std::make_shared<aws::StaticCredentialsProvider>(credentials),
        aws::CurlTransportFactory(), std::make_shared<aws::RetryPolicy>(),
        common::SystemClock::Instance(), aws::ParseXmlError);
    aws::S3Client s3(service, true);
    EXPECT_TRUE(s3.ListAllObjects("athena-results", "staging/unload/").empty());
  }
}

INSTANTIATE_TEST_SUITE_P(Fetchers, FetcherResumeE2eTest,
                         ::testing::Values(ResumeCase{"api", "api"}, ResumeCase{"s3", "s3"},
                                           ResumeCase{"unload", "unload"},
                                           ResumeCase{"auto", "s3"}),
                         [](const ::testing::TestParamInfo<ResumeCase>& info) {
                           return info.param.fetcher;
                         });

/// An S3 endpoint that refuses everything, as a bucket policy denying the connector's role would.
std::string DenyEverything(int, const std::string& request) {
  const std::string body =
      "<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>";
  const bool head = request.rfind("HEAD ", 0) == 0;
  return "HTTP/1.1 403 Forbidden\r\nContent-Type: application/xml\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" +
         (head ? std::string() : body);
}

TEST_F(FetchersE2eTest, AutoFallsBackToTheApiWhenTheResultFileIsNotReadable) {
  AthenaLocal athena({.seeds = {FetcherSeeds().string()}, .extra_args = {}});
  aws::testing::RawSocketServer denied(DenyEverything);
  const std::map<std::string, std::string> overrides = {{"source_table", "fetcher_types"},
                                                        {"destination_table", "fetcher_types"},
                                                        {"primary_key", "id"},
                                                        {"s3_endpoint_url", denied.url()}};

  auto auto_overrides = overrides;
  auto_overrides["result_fetcher"] = "auto";
  std::filesystem::create_directories(dir.path() / "auto");
  std::filesystem::create_directories(dir.path() / "s3");
  const auto config = athena.WriteConfiguration(dir.path() / "auto", auto_overrides);
  const ProcessResult run = RunDebug(config, dir.path() / "auto" / "files");
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(
      run.err.find("with GetQueryResults (api) because its result file is not readable from S3"),
      std::string::npos)
      << run.err;
  const auto count =
      Query(dir.path() / "auto" / "files", "SELECT count(*) FROM tester.fetcher_types");
  EXPECT_EQ(count.rows.at(0).at(0), "500");

  auto s3_overrides = overrides;
  s3_overrides["result_fetcher"] = "s3";
  const auto s3_config = athena.WriteConfiguration(dir.path() / "s3", s3_overrides);
  const ProcessResult refused = RunDebug(s3_config, dir.path() / "s3" / "files");
  EXPECT_NE(refused.exit_code, 0) << refused.out;
  EXPECT_NE(refused.out.find("Sync FAILED: "), std::string::npos) << refused.out;
  EXPECT_NE(refused.out.find("Forbidden"), std::string::npos) << refused.out;
}

TEST_F(FetchersE2eTest, UnloadOfANonSelectStatementFallsBackAndReadsItsTextResult) {
  AthenaLocal athena({.seeds = {FetcherSeeds().string()}, .extra_args = {}});
  const auto config = athena.WriteConfiguration(dir.path(), {{"result_fetcher", "unload"},
                                                             {"source_table", ""},
                                                             {"query", "SHOW TABLES"},
                                                             {"destination_table", "table_names"},
                                                             {"primary_key", "tab_name"}});
  const ProcessResult run = RunDebug(config, dir.path() / "files");
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.err.find("Result fetcher unload: the query is not a SELECT or WITH query"),
            std::string::npos)
      << run.err;
  const auto names =
      Query(dir.path() / "files", "SELECT tab_name FROM tester.table_names ORDER BY 1");
  ASSERT_EQ(names.rows.size(), 2u);
  EXPECT_EQ(names.rows[0][0], "fetcher_types");
  EXPECT_EQ(names.rows[1][0], "resume_rows");
}

}  // namespace
}  // namespace ac::testing
