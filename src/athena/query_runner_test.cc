#include "athena/query_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "athena/fake_athena_test_util.h"
#include "common/error.h"

namespace ac::athena {
namespace {

using testing::ExecutionBody;
using testing::FakeAthena;
using ::testing::HasSubstr;

TEST(QueryRunnerTest, PollsWithBackoffDoublingToFiveSeconds) {
  auto fake = std::make_shared<FakeAthena>();
  int polls = 0;
  fake->handlers["StartQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(200, std::string(R"({"QueryExecutionId":"q-1"})"));
  };
  fake->handlers["GetQueryExecution"] = [&polls](const nlohmann::json&) {
    ++polls;
    return std::make_pair(
        200, ExecutionBody("q-1", polls < 10 ? (polls < 3 ? "QUEUED" : "RUNNING") : "SUCCEEDED"));
  };
  common::FakeClock clock;
  common::CancellationToken cancel;
  auto client = testing::MakeFakeClient(fake, clock, &cancel);
  QueryRunner runner(*client, clock, cancel);
  std::string started;
  const QueryExecution execution =
      runner.Run({.sql = "SELECT 1"}, [&](const std::string& id) { started = id; });
  EXPECT_EQ(execution.state, "SUCCEEDED");
  EXPECT_EQ(started, "q-1");
  std::vector<int64_t> sleeps;
  for (const auto& s : clock.sleeps()) sleeps.push_back(s.count());
  EXPECT_EQ(sleeps, (std::vector<int64_t>{100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000}));
}

TEST(QueryRunnerTest, RetryableFailureIsResubmittedWithANewTokenThenGivesUp) {
  auto fake = std::make_shared<FakeAthena>();
  int starts = 0;
  fake->handlers["StartQueryExecution"] = [&starts](const nlohmann::json&) {
    ++starts;
    return std::make_pair(
        200, std::string(R"({"QueryExecutionId":"q-)") + std::to_string(starts) + "\"}");
  };
  fake->handlers["GetQueryExecution"] = [](const nlohmann::json& request) {
    return std::make_pair(200, ExecutionBody(request["QueryExecutionId"], "FAILED", true,
                                             "Query exhausted resources"));
  };
  common::FakeClock clock;
  common::CancellationToken cancel;
  auto client = testing::MakeFakeClient(fake, clock, &cancel);
  QueryRunner runner(*client, clock, cancel, {.max_attempts = 3});
  try {
    runner.Run({.sql = "SELECT 1"});
    FAIL();
  } catch (const common::QueryFailedError& e) {
    EXPECT_THAT(e.what(), HasSubstr("Athena query q-3 failed: Query exhausted resources"));
    EXPECT_THAT(e.what(), HasSubstr("retryable"));
  }
  EXPECT_EQ(starts, 3);
  std::set<std::string> tokens;
  for (const auto& call : fake->calls) {
    if (call.first == "StartQueryExecution")
      tokens.insert(call.second["ClientRequestToken"].get<std::string>());
  }
  EXPECT_EQ(tokens.size(), 3u);
}

TEST(QueryRunnerTest, ResubmissionsWaitTheBackoffOfTheClientsRetryPolicy) {
  // q-1 and q-2 fail as retryable, q-3 succeeds.
  auto fake = std::make_shared<FakeAthena>();
  std::vector<std::string> ids = {"q-3", "q-2", "q-1"};
  fake->handlers["StartQueryExecution"] = [&ids](const nlohmann::json&) {
    const nlohmann::json reply = {{"QueryExecutionId", ids.back()}};
    ids.pop_back();
    return std::make_pair(200, reply.dump());
  };
  fake->handlers["GetQueryExecution"] = [](const nlohmann::json& request) {
    const std::string id = request["QueryExecutionId"];
    const bool last = id == "q-3";
    return std::make_pair(
        200, last ? ExecutionBody(id, "SUCCEEDED") : ExecutionBody(id, "FAILED", true, "Slow"));
  };
  common::FakeClock clock;
  common::CancellationToken cancel;
  auto client = testing::MakeFakeClient(fake, clock, &cancel);
  EXPECT_EQ(QueryRunner(*client, clock, cancel, {.max_attempts = 3}).Run({.sql = "SELECT 1"}).id,
            "q-3");
  // No polling (every state is terminal at once): the sleeps are the two resubmission backoffs,
  // full jitter under the policy's 100 ms x 2^(attempt-1).
  ASSERT_EQ(clock.sleeps().size(), 2u);
  EXPECT_LT(clock.sleeps()[0].count(), 100);
  EXPECT_LT(clock.sleeps()[1].count(), 200);
}

TEST(QueryRunnerTest, UserErrorsAreNotResubmittedAndReadLikeTheCause) {
  auto fake = std::make_shared<FakeAthena>();
  fake->handlers["StartQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(200, std::string(R"({"QueryExecutionId":"q-1"})"));
  };
  fake->handlers["GetQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(
        200, ExecutionBody(
                 "q-1", "FAILED", false,
                 "TABLE_NOT_FOUND: line 1:15: Table 'awsdatacatalog.default.nope' does not exist"));
  };
  common::FakeClock clock;
  common::CancellationToken cancel;
  auto client = testing::MakeFakeClient(fake, clock, &cancel);
  QueryRunner runner(*client, clock, cancel);
  EXPECT_THROW(runner.Run({.sql = "SELECT * FROM nope"}), common::NotFoundError);
  EXPECT_EQ(fake->Count("StartQueryExecution"), 1);
}

TEST(QueryRunnerTest, CancellationStopsTheRunningQuery) {
  auto fake = std::make_shared<FakeAthena>();
  common::CancellationToken cancel;
  fake->handlers["StartQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(200, std::string(R"({"QueryExecutionId":"q-1"})"));
  };
  fake->handlers["GetQueryExecution"] = [&cancel](const nlohmann::json&) {
    cancel.Cancel();  // the user presses Ctrl-C while the query runs
    return std::make_pair(200, ExecutionBody("q-1", "RUNNING"));
  };
  fake->handlers["StopQueryExecution"] = [](const nlohmann::json&) {
    return std::make_pair(200, std::string("{}"));
  };
  common::FakeClock clock;
  auto client = testing::MakeFakeClient(fake, clock, nullptr);
  QueryRunner runner(*client, clock, cancel);
  EXPECT_THROW(runner.Run({.sql = "SELECT 1"}), common::CancelledError);
  ASSERT_EQ(fake->Count("StopQueryExecution"), 1);
}

}  // namespace
}  // namespace ac::athena
