// End-to-end: the real athena-connector (`debug --test`: setup tests, catalog calls and the sync)
// against athena-local injecting throttling, server errors and dropped connections. Every fetcher
// rides out 35% mixed faults and a throttling storm with exact rows, and reports its retries.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "support/test_support.h"
#include "warehouse/duckdb_warehouse.h"

namespace ac::testing {
namespace {

using nlohmann::json;

std::filesystem::path RetrySeeds() {
  return SourceDir() / "tests" / "data" / "retries";
}

/// count, distinct ids, sum(id), NULLs in s, md5 of every row: equal only for the exact rows.
std::vector<std::optional<std::string>> Fingerprint(const std::filesystem::path& work) {
  warehouse::WarehouseOptions options;
  options.working_dir = work;
  warehouse::DuckDbWarehouse warehouse(options);
  return warehouse
      .Query(
          "SELECT count(*), count(DISTINCT id), sum(id), count(*) FILTER (WHERE s IS NULL), "
          "md5(string_agg(concat_ws('|', id, coalesce(s, '<null>'), d), '\n' ORDER BY id)) "
          "FROM tester.retry_rows")
      .rows.at(0);
}

/// The number N of debug's "Retries: N ..." summary line; -1 without one.
int64_t RetriesOf(const std::string& out) {
  std::smatch m;
  if (!std::regex_search(out, m, std::regex("\nRetries: ([0-9]+)"))) return -1;
  return std::stoll(m[1]);
}

struct RetryCase {
  std::string fetcher;
  std::string faults;  ///< "mixed" (35%) or "storm" (50% throttling)
  int seed;
};

void PrintTo(const RetryCase& c, std::ostream* os) {
  *os << c.fetcher << "_" << c.faults << "_" << c.seed;
}

std::map<std::string, std::string> Overrides(const std::string& fetcher) {
  return {{"source_table", "retry_rows"},  {"destination_table", "retry_rows"},
          {"primary_key", "id"},           {"result_fetcher", fetcher},
          {"s3_part_size_bytes", "16384"}, {"checkpoint_interval_rows", "1000"}};
}

ProcessResult Debug(const std::filesystem::path& config, const std::filesystem::path& work) {
  return RunProcess({ConnectorBinary(), "debug", "--test", "--configuration", config.string(),
                     "--working-dir", work.string(), "--no-progress"});
}

class RetriesE2eTest : public ::testing::TestWithParam<RetryCase> {
 protected:
  TempDir dir;
};

TEST_P(RetriesE2eTest, EveryFetcherRidesOutFaultsWithExactRows) {
  const RetryCase& c = GetParam();
  // The rows as a fault-free sync delivers them.
  std::vector<std::optional<std::string>> want;
  {
    AthenaLocal clean({.seeds = {RetrySeeds().string()}, .extra_args = {}});
    std::filesystem::create_directories(dir.path() / "clean");
    const auto config = clean.WriteConfiguration(dir.path() / "clean", Overrides("api"));
    const auto work = dir.path() / "clean" / "files";
    const ProcessResult run = Debug(config, work);
    ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_EQ(RetriesOf(run.out), 0) << run.out;
    want = Fingerprint(work);
    ASSERT_EQ(want.at(0).value_or(""), "2500");
  }

  std::vector<std::string> faults =
      c.faults == "storm"
          ? std::vector<std::string>{"--throttle-rate", "0.5"}
          : std::vector<std::string>{"--throttle-rate", "0.2", "--error-rate", "0.1",
                                     "--drop-rate",     "0.05"};
  faults.insert(faults.end(), {"--fault-seed", std::to_string(c.seed)});
  AthenaLocal athena({.seeds = {RetrySeeds().string()}, .extra_args = faults});
  std::filesystem::create_directories(dir.path() / "faulty");
  const auto config = athena.WriteConfiguration(dir.path() / "faulty", Overrides(c.fetcher));
  const auto work = dir.path() / "faulty" / "files";
  const ProcessResult run = Debug(config, work);
  ASSERT_EQ(run.exit_code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("Sync SUCCEEDED"), std::string::npos) << run.out;
  EXPECT_EQ(Fingerprint(work), want);
  const json state = json::parse(ReadFile(work / "state.json"));
  EXPECT_EQ(state["tables"]["retry_rows"]["status"], "complete") << state.dump();
  // The retries were counted: in debug's summary, and in the sync's log line.
  EXPECT_GT(RetriesOf(run.out), 3) << run.out;
  EXPECT_NE(run.out.find("ThrottlingException"), std::string::npos) << run.out;
  EXPECT_NE(run.err.find("Retries: "), std::string::npos) << run.err;
}

INSTANTIATE_TEST_SUITE_P(
    Faults, RetriesE2eTest,
    // Against the connector without these retries (5 attempts per call), s3 and auto seed 1 fail
    // on S3 SlowDown, and every storm seed here fails in a setup test (ListDatabases) or a catalog
    // call (GetTableMetadata).
    ::testing::Values(RetryCase{"api", "mixed", 1}, RetryCase{"api", "mixed", 2},
                      RetryCase{"s3", "mixed", 1}, RetryCase{"unload", "mixed", 2},
                      RetryCase{"auto", "mixed", 1}, RetryCase{"api", "storm", 3},
                      RetryCase{"s3", "storm", 2}, RetryCase{"unload", "storm", 8}),
    [](const ::testing::TestParamInfo<RetryCase>& info) {
      return info.param.fetcher + "_" + info.param.faults + "_" + std::to_string(info.param.seed);
    });

TEST(RetriesConfigE2eTest, RetryMaxSecondsBoundsACallUnderAThrottlingStorm) {
  // Every request throttled: a call gives up after retry_max_seconds, naming the throttling.
  TempDir dir;
  AthenaLocal athena({.seeds = {RetrySeeds().string()},
                      .extra_args = {"--throttle-rate", "1", "--fault-seed", "1"}});
  auto overrides = Overrides("api");
  overrides["retry_max_seconds"] = "3";
  const auto config = athena.WriteConfiguration(dir.path(), overrides);
  const auto started = std::chrono::steady_clock::now();
  const ProcessResult run =
      RunProcess({ConnectorBinary(), "debug", "--configuration", config.string(), "--working-dir",
                  (dir.path() / "files").string(), "--no-progress"});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_EQ(run.exit_code, 5) << run.out << run.err;  // transient
  EXPECT_NE(run.out.find("ThrottlingException"), std::string::npos) << run.out;
  EXPECT_GE(seconds, 2.5);
  EXPECT_LT(seconds, 30);
}

}  // namespace
}  // namespace ac::testing
